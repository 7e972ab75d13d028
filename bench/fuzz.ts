/**
 * Fuzzes both servers over real sockets: random and mutated SMTP and POP3
 * sessions (fast-check, seeded from the transcript tests) against
 * `smtpmail.ts` and `popserver.ts` started as their tasks start them, and
 * reports crashes, hangs and memory. Exit status 1 on any crash or hang,
 * 2 on a bad command line. Not part of CI (a slice of it is:
 * tests/fuzz/servers_fuzz_test.ts). See bench/README.md, "Fuzzing the servers".
 *
 * Usage: deno task fuzz [--seed N] [--sessions N] [--concurrency N]
 *   [--servers smtp,pop3] [--hang-seconds S] [--only ID,...] [--show ID,...] [--json FILE]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { describeSession, formatSummary, passed } from "./fuzz/report.ts";
import { parseSessionId, runFuzz, sessionFor } from "./fuzz/runner.ts";
import type { ServerName } from "./fuzz/servers.ts";

const USAGE = "deno task fuzz [--seed N] [--sessions N] [--concurrency N] [--servers smtp,pop3] " +
  "[--hang-seconds S] [--only ID,...] [--show ID,...] [--json FILE]";

function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seed: { type: "string", default: "1" },
      sessions: { type: "string", default: "100000" },
      concurrency: { type: "string", default: "8" },
      servers: { type: "string", default: "smtp,pop3" },
      "hang-seconds": { type: "string", default: "30" },
      only: { type: "string" },
      show: { type: "string" },
      json: { type: "string" },
    },
  });
  const number = (name: keyof typeof values) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n)) throw new SyntaxError(`Cannot parse --${name}: ${values[name]}`);
    return n;
  };
  const servers = String(values.servers).split(",") as ServerName[];
  if (!servers.every((s) => s === "smtp" || s === "pop3")) throw new SyntaxError(`Cannot parse --servers: ${servers}`);
  const seed = number("seed");
  if (values.show !== undefined) {
    for (const id of values.show.split(",")) {
      const { server, index } = parseSessionId(id);
      console.log(describeSession(id, sessionFor(seed, server, index)).join("\n"));
    }
    return Promise.resolve(0);
  }
  return run(seed, number("sessions"), number("concurrency"), servers, number("hang-seconds"), values);
}

async function run(
  seed: number,
  sessions: number,
  concurrency: number,
  servers: ServerName[],
  hangSeconds: number,
  values: { only?: string; json?: string },
): Promise<number> {
  const only = values.only?.split(",");
  only?.forEach(parseSessionId);
  const summary = await runFuzz({
    seed,
    sessions,
    concurrency,
    servers,
    hangMs: hangSeconds * 1000,
    only,
    progress: (line) => console.error(line),
  });
  console.log(formatSummary(summary).join("\n"));
  if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(summary, null, 2) + "\n");
  return passed(summary) ? 0 : 1;
}

try {
  Deno.exit(await main());
} catch (error) {
  if (!(error instanceof SyntaxError || error instanceof RangeError || error instanceof TypeError)) throw error;
  console.error(`${error.message}. Usage: ${USAGE}`);
  Deno.exit(2);
}

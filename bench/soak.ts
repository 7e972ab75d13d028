/**
 * Soak benchmark (issue 17): a million sessions per server of a realistic
 * mix (deliveries, POP3 RETR and DELE, failed logins, abrupt closes,
 * STARTTLS/STLS), 100 at a time, against `smtpmail.ts` and `popserver.ts`
 * started as their deno.json tasks start them. Every 10 s it prints
 * sessions/s, RSS, heap used, open fds and errors; at the end RSS after the
 * first 10,000 sessions against RSS at the end, and a picture of memory
 * against sessions (`soak-smtp.svg`, `soak-pop3.svg`) with the samples as
 * CSV. With `--max-minutes` a server's load stops starting sessions after
 * that long, for machines too slow for a million in reasonable time. See
 * bench/README.md, "Soak: memory over a million sessions".
 *
 * Usage: deno task soak [--sessions 1000000] [--concurrency 100]
 *   [--servers smtp,pop3] [--out bench/soak-results] [--only KIND,...]
 *   [--interval 10] [--max-minutes M]
 *
 * Exits 1 when a server died or its RSS at the end is more than 8 MiB above
 * where it stood after the first 10,000 sessions; 2 on bad arguments.
 *
 * @module
 */

import { join } from "node:path";
import { parseSoakArgs, SOAK_USAGE } from "./soak/args.ts";
import { chartSvg, samplesCsv, summaryLines, verdict } from "./soak/report.ts";
import { soak } from "./soak/run.ts";

const parsed = parseSoakArgs(Deno.args);
if ("error" in parsed) {
  console.error(`${parsed.error}. ${SOAK_USAGE}`);
  Deno.exit(2);
}
const { options } = parsed;
if (options.concurrency < 100) console.log(`note: --concurrency ${options.concurrency} is below the issue's 100`);
await Deno.mkdir(options.out, { recursive: true });
let failed = false;
const summaries: string[] = [];
for (const name of options.servers) {
  const result = await soak(name, {
    total: options.sessions,
    concurrency: options.concurrency,
    only: options.only,
    intervalSeconds: options.intervalSeconds,
    maxMinutes: options.maxMinutes,
    print: (line) => console.log(line),
  });
  const lines = summaryLines(result);
  lines.forEach((line) => console.log(line));
  summaries.push(...lines);
  if (result.samples.length > 0) {
    const title = `${name === "smtp" ? "smtpmail" : "popserver"}: memory over ` +
      `${result.stats.done.toLocaleString("en-US")} sessions, ${options.concurrency} at a time`;
    await Deno.writeTextFile(join(options.out, `soak-${name}.svg`), chartSvg(result, title));
    await Deno.writeTextFile(join(options.out, `soak-${name}.csv`), samplesCsv(result.samples));
  }
  failed ||= !verdict(result).ok;
}
if (options.servers.length > 1) {
  console.log("\nsummary");
  summaries.forEach((line) => console.log(line));
}
console.log(`pictures and samples in ${options.out}/`);
Deno.exit(failed ? 1 : 0);

/**
 * README.md's check-server examples are what the checker prints: a run
 * against our own servers, and one failure found in the broken fixture.
 * The run's token, the times, the ports and the dates are replaced by the
 * README's. When the output changes on purpose, rewrite the blocks with
 *   CHECK_README_UPDATE=1 deno test -A tests/check/readme_test.ts
 */

import { parseCheckArgs } from "../../lib/check/args.ts";
import { runCheck } from "../../lib/check/driver.ts";
import { BROKEN_USER, withBrokenServer } from "../helpers/broken_server.ts";
import { withMailServers } from "../helpers/mail_servers.ts";
import { passwordOf } from "../helpers/pop3_client.ts";
import { assertReadmeBlock } from "../helpers/readme_block.ts";

const TOKEN = "chkmip3xk2qexmpl";
const RERUN = "CHECK_README_UPDATE=1 deno test -A tests/check/readme_test.ts";

/** Runs the checker and returns its lines with ports, times and dates as the README shows them. */
async function printed(args: string[], ports: { smtp: number; pop3: number }): Promise<string[]> {
  const lines: string[] = [];
  await runCheck(parseCheckArgs(args), { print: (line) => lines.push(line), token: TOKEN });
  const shown = new Map([[String(ports.smtp), "2525"], [String(ports.pop3), "1100"]]);
  return lines.map((line) =>
    // A port of another length moves the note's column: the spaces before "#" make up for it.
    line.replace(/127\.0\.0\.1:(\d+)( +#)?/g, (_, port: string, pad = "") => {
      const as = shown.get(port) ?? port;
      const spaces = pad.length - 1 + port.length - as.length;
      return pad === "" ? `127.0.0.1:${as}` : `127.0.0.1:${as}${" ".repeat(Math.max(1, spaces))}#`;
    })
      .replace(/\b\d\d:\d\d:\d\d\.\d{3}\b/, "09:45:57.123")
      .replace(/Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000/, "Date: Fri, 27 Nov 2026 09:45:57 +0000")
  );
}

Deno.test("README's check-server run against our servers is what the checker prints", async () => {
  await withMailServers(async (servers) => {
    const ports = { smtp: servers.smtp.port, pop3: servers.pop3.port };
    const args = [
      `smtp://127.0.0.1:${ports.smtp}`,
      "--rcpt",
      "andrew@localhost",
      "--pop3",
      `pop3://127.0.0.1:${ports.pop3}`,
      "--user",
      "Andrew",
      "--pass",
      passwordOf("Andrew"),
    ];
    await assertReadmeBlock({
      marker: "<!-- check-server: tests/check/readme_test.ts writes and checks the block below (ours) -->",
      printed: (await printed(args, ports)).join("\n"),
      update: "CHECK_README_UPDATE",
      rerun: RERUN,
    });
  });
});

Deno.test("README's check-server failure is what the checker prints for the broken fixture", async () => {
  await withBrokenServer(async ({ smtpPort, pop3Port }) => {
    const args = [
      `pop3://127.0.0.1:${pop3Port}`,
      "--user",
      BROKEN_USER.name,
      "--pass",
      BROKEN_USER.pass,
      "--smtp",
      `smtp://127.0.0.1:${smtpPort}`,
    ];
    const lines = await printed(args, { smtp: smtpPort, pop3: pop3Port });
    const start = lines.findIndex((line) => / pop3\.dele-rset /.test(line));
    const end = lines.findIndex((line, i) => i > start && !line.startsWith(" "));
    await assertReadmeBlock({
      marker: "<!-- check-server: tests/check/readme_test.ts writes and checks the block below (broken) -->",
      printed: lines.slice(start, end).join("\n"),
      update: "CHECK_README_UPDATE",
      rerun: RERUN,
    });
  });
});

/**
 * check-server: a conformance checker for any SMTP or POP3 server. Runs
 * short sessions against it and prints one line per RFC rule: pass, fail
 * (with the exchange that showed it and what the RFC expects), not offered
 * or skipped. Exit status 0 when every required rule passed, 1 otherwise,
 * 2 on bad arguments.
 *
 * Usage: deno task check-server smtp://HOST:PORT --rcpt ADDRESS [--pop3 pop3://HOST:PORT --user U --pass P]
 *        deno task check-server pop3://HOST:PORT --user U --pass P [--smtp smtp://HOST:PORT [--rcpt ADDRESS]]
 *
 * @module
 */

import { runMain } from "../lib/cli.ts";
import { CHECK_USAGE, parseCheckArgs } from "../lib/check/args.ts";
import { runCheck } from "../lib/check/driver.ts";

await runMain(CHECK_USAGE, async () => {
  const config = parseCheckArgs(Deno.args);
  Deno.exitCode = await runCheck(config, { print: (line) => console.log(line) });
});

/**
 * smtpmail: the SMTP server of the lab assignment. Receives mail for the
 * users in userlogincred.txt and appends it to ROOT/<User>/mymailbox.
 *
 * Usage: deno task smtp <my_port> [--root DIR] [--host ADDR] [--domain NAME]...
 *   [--tls-cert FILE --tls-key FILE [--tls-port PORT]]
 *
 * @module
 */

import { runMain, serveUntilSignal } from "./lib/cli.ts";
import { StderrLog } from "./lib/log.ts";
import { parseSmtpArgs, SMTP_USAGE } from "./lib/smtp/config.ts";
import { startSmtpServer } from "./lib/smtp/server.ts";

await runMain(SMTP_USAGE, async () => {
  const config = parseSmtpArgs(Deno.args);
  const log = new StderrLog();
  const server = await startSmtpServer(config, log);
  if (server.tlsAddress) console.log(`smtpmail listening for implicit TLS on ${server.tlsAddress}`);
  serveUntilSignal("smtpmail", server, config.root, log);
});

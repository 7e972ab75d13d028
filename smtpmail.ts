/**
 * smtpmail: the SMTP server of the lab assignment. Receives mail for the
 * users in userlogincred.txt and appends it to ROOT/<User>/mymailbox.
 *
 * Usage: deno task smtp <my_port> [--root DIR] [--host ADDR] [--domain NAME]...
 *
 * @module
 */

import { runMain } from "./lib/cli.ts";
import { parseSmtpArgs, SMTP_USAGE } from "./lib/smtp/config.ts";
import { startSmtpServer } from "./lib/smtp/server.ts";

/** Grace period for open sessions when asked to stop. */
const SHUTDOWN_GRACE_MS = 10_000;

await runMain(SMTP_USAGE, async () => {
  const config = parseSmtpArgs(Deno.args);
  const server = await startSmtpServer(config);
  console.log(`smtpmail listening on ${server.address}, root ${config.root}`);
  const stop = async () => {
    console.error("smtpmail: shutting down");
    await server.shutdown(SHUTDOWN_GRACE_MS);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
});

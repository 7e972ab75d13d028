/**
 * popserver: the POP3 server of the lab assignment. Lets each user of
 * userlogincred.txt read and delete the mail in ROOT/<User>/mymailbox.
 *
 * Usage: deno task pop3 <pop3_port> [--root DIR] [--host ADDR]
 *   [--tls-cert FILE --tls-key FILE [--tls-port PORT]] [--http PORT [--http-tls]]
 *
 * @module
 */

import { runMain, serveUntilSignal } from "./lib/cli.ts";
import { StderrLog } from "./lib/log.ts";
import { parsePop3Args, POP3_USAGE } from "./lib/pop3/config.ts";
import { startPop3Server } from "./lib/pop3/server.ts";

await runMain(POP3_USAGE, async () => {
  const config = parsePop3Args(Deno.args);
  const log = new StderrLog();
  const server = await startPop3Server(config, log);
  if (server.tlsAddress) console.log(`popserver listening for implicit TLS on ${server.tlsAddress}`);
  if (server.httpUrl) console.log(`popserver web inbox and API at ${server.httpUrl}`);
  serveUntilSignal("popserver", server, config.root, log);
});

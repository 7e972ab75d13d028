/**
 * mailclient: the terminal mail client of the lab assignment. Asks for a
 * user name and password, then offers 1 Manage Mail (POP3), 2 Send Mail
 * (SMTP) and 3 Quit.
 *
 * Usage: deno task client [--ca-file FILE] [--trace[=FILE] [--trace-format FORMAT]] [server_host] [smtp_port] [pop3_port]
 *
 * @module
 */

import { runMain } from "./lib/cli.ts";
import { CLIENT_USAGE, parseClientArgs, readCaFile } from "./lib/client/config.ts";
import { tcpConnector } from "./lib/client/connection.ts";
import { runClient } from "./lib/client/menu.ts";
import { ConsoleInput, stdoutOutput } from "./lib/client/terminal.ts";
import { openClientTrace } from "./lib/client/trace_file.ts";

await runMain(CLIENT_USAGE, async () => {
  const args = parseClientArgs(Deno.args);
  const caCerts = args.caFile === undefined ? undefined : [await readCaFile(args.caFile)];
  const trace = args.trace === undefined ? undefined : await openClientTrace(args.trace, tcpConnector({ caCerts }));
  const input = new ConsoleInput({
    source: Deno.stdin,
    terminal: Deno.stdin.isTerminal() ? Deno.stdin : undefined,
    screen: stdoutOutput,
  });
  const connect = trace?.connect ?? tcpConnector({ caCerts });
  try {
    Deno.exitCode = await runClient({ input, output: stdoutOutput, servers: args, connect });
  } finally {
    await trace?.close();
  }
});

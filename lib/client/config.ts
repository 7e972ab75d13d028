/**
 * The command line of `mailclient.ts`: up to three positional arguments,
 * each with its default.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { checkInfoRequest, parsePort, UsageError } from "../cli.ts";

/** One-line usage of `mailclient.ts`. */
export const CLIENT_USAGE =
  "mailclient.ts [--ca-file FILE] [server_host] [smtp_port] [pop3_port] (defaults: localhost 2525 1100)";

/** Where the client finds its servers. */
export interface ClientConfig {
  /** Host name or address of the mail server. */
  host: string;
  /** Port of the SMTP server. */
  smtpPort: number;
  /** Port of the POP3 server. */
  pop3Port: number;
  /** A PEM file of certificates to trust for TLS instead of the system's (a self-signed server's own). */
  caFile?: string;
}

/**
 * Parses `mailclient.ts`'s arguments.
 *
 * @throws {UsageError} on an unknown flag, more than three arguments, an empty host or a bad port
 * @throws {InfoRequest} for `--help` or `--version`
 */
export function parseClientArgs(args: string[]): ClientConfig {
  const options = { "ca-file": { type: "string" } } as const;
  checkInfoRequest(args, options);
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [host = "localhost", smtp = "2525", pop3 = "1100", ...extra] = parsed.positionals;
  if (extra.length > 0) throw new UsageError(`Expected at most 3 arguments, got ${parsed.positionals.length}`);
  if (host === "" || /\s/.test(host)) throw new UsageError(`Cannot parse server_host: "${host}"`);
  return {
    host,
    smtpPort: parsePort(smtp, "smtp_port", false),
    pop3Port: parsePort(pop3, "pop3_port", false),
    ...(parsed.values["ca-file"] === undefined ? {} : { caFile: parsed.values["ca-file"] }),
  };
}

/**
 * Reads the --ca-file certificates.
 *
 * @throws {UsageError} when the file cannot be read or holds no PEM certificate
 */
export async function readCaFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(
      `Cannot read --ca-file ${path}: ${(error as Error).message.replace(/\s*\(os error \d+\)/, "")}`,
    );
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw new UsageError(`Cannot use --ca-file ${path}: it holds no PEM certificate`);
  }
  return text;
}

/**
 * The command line of `mailclient.ts`: up to three positional arguments,
 * each with its default.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { checkInfoRequest, parsePort, UsageError } from "../cli.ts";
import { parseTraceFlags } from "../trace/flags.ts";
import type { TraceFormat } from "../trace/record.ts";

/** One-line usage of `mailclient.ts`. */
export const CLIENT_USAGE = "mailclient.ts [--ca-file FILE] [--trace[=FILE] [--trace-format FORMAT]] " +
  "[server_host] [smtp_port] [pop3_port] (defaults: localhost 2525 1100)";

/** Where `--trace` without a file name writes, in the current directory. */
export const DEFAULT_TRACE_FILE = "mailclient-trace.log";

/** The flags, as `--help` lists them. */
const HELP_FLAGS = {
  "ca-file": { type: "string" },
  trace: { type: "string", default: DEFAULT_TRACE_FILE },
  "trace-format": { type: "string", default: "text" },
} as const;

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
  /** Where the sessions are traced (`--trace`), and in which format; "-" is standard error. No trace when left out. */
  trace?: { file: string; format: TraceFormat };
}

/**
 * Parses `mailclient.ts`'s arguments.
 *
 * `--trace` alone writes to `DEFAULT_TRACE_FILE`, `--trace=FILE` to FILE,
 * and `--trace=-` or `--trace -` to standard error. (`--trace FILE` cannot
 * be told from `--trace` and a host name, so a file takes "=".)
 *
 * @throws {UsageError} on an unknown flag, more than three arguments, an empty host or a bad port,
 *   an empty trace file name, a trace format other than text or json, `--trace-format` without `--trace`
 * @throws {InfoRequest} for `--help` or `--version`
 */
export function parseClientArgs(args: string[]): ClientConfig {
  checkInfoRequest(args, HELP_FLAGS);
  const options = {
    "ca-file": { type: "string" },
    trace: { type: "string" },
    "trace-format": { type: "string" },
  } as const;
  let parsed;
  try {
    parsed = parseArgs({ args: traceFileArgs(args), options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [host = "localhost", smtp = "2525", pop3 = "1100", ...extra] = parsed.positionals;
  if (extra.length > 0) throw new UsageError(`Expected at most 3 arguments, got ${parsed.positionals.length}`);
  if (host === "" || /\s/.test(host)) throw new UsageError(`Cannot parse server_host: "${host}"`);
  const file = parsed.values.trace;
  if (file === "") throw new UsageError("Cannot use --trace= without a file name");
  const format = parseTraceFlags({ trace: file !== undefined, "trace-format": parsed.values["trace-format"] });
  return {
    host,
    smtpPort: parsePort(smtp, "smtp_port", false),
    pop3Port: parsePort(pop3, "pop3_port", false),
    ...(parsed.values["ca-file"] === undefined ? {} : { caFile: parsed.values["ca-file"] }),
    ...(file === undefined || format === undefined ? {} : { trace: { file, format } }),
  };
}

/** `args` with `--trace -` as `--trace=-` and a bare `--trace` as `--trace=DEFAULT_TRACE_FILE`, for `parseArgs`. */
function traceFileArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") return [...out, ...args.slice(i)];
    if (args[i] !== "--trace") out.push(args[i]);
    else if (args[i + 1] === "-") out.push(`--trace=${args[++i]}`);
    else out.push(`--trace=${DEFAULT_TRACE_FILE}`);
  }
  return out;
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

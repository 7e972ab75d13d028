/**
 * The command line of `deno task check-server`.
 *
 * @module
 */

import { checkInfoRequest, parseInteger, parsePort, UsageError } from "../cli.ts";
import { parseArgs } from "node:util";

/** One-line usage. */
export const CHECK_USAGE = "check_server.ts smtp://HOST[:PORT] --rcpt ADDRESS [--from ADDRESS] " +
  "[--pop3 pop3://HOST[:PORT] --user USER --pass PASSWORD] | pop3://HOST[:PORT] --user USER --pass PASSWORD " +
  "[--smtp smtp://HOST[:PORT] [--rcpt ADDRESS]]; [--starttls | --tls] [--ca-file FILE] [--timeout SECONDS]";

/** Where a server is. */
export interface ServerAddress {
  /** "smtp" or "pop3". */
  protocol: "smtp" | "pop3";
  /** Host name or address. */
  host: string;
  /** TCP port. */
  port: number;
}

/** What to check, and with what. */
export interface CheckConfig {
  /** The server under test. */
  target: ServerAddress;
  /** How to reach it: plain, STARTTLS/STLS first, or implicit TLS. */
  tls: "none" | "starttls" | "implicit";
  /** PEM certificates to trust for TLS (a self-signed server's own). */
  caFile?: string;
  /** The recipient of the messages sent through SMTP. */
  rcpt?: string;
  /** The envelope sender; the recipient when left out. */
  from?: string;
  /** SMTP mode: the POP3 server to read messages back from and delete them through. */
  pop3?: ServerAddress;
  /** POP3 mode: the SMTP server to deliver the run's own message through. */
  smtp?: ServerAddress;
  /** The POP3 user. */
  user?: string;
  /** The POP3 password. */
  pass?: string;
  /** How long to wait for a connection or a reply, in ms (--timeout, in seconds). */
  timeoutMs: number;
}

const OPTIONS = {
  rcpt: { type: "string" },
  from: { type: "string" },
  pop3: { type: "string" },
  smtp: { type: "string" },
  user: { type: "string" },
  pass: { type: "string" },
  starttls: { type: "boolean", default: false },
  tls: { type: "boolean", default: false },
  "ca-file": { type: "string" },
  timeout: { type: "string", default: "10" },
} as const;

/**
 * Parses `smtp://HOST:PORT` or `pop3://HOST:PORT` (port 25 or 110 when left out, 465 or 995 with implicit TLS).
 *
 * @throws {UsageError} for another scheme, a path, or a bad port
 */
export function parseServerUrl(text: string, what: string, implicitTls = false): ServerAddress {
  const m = /^(smtp|pop3):\/\/(\[[0-9a-fA-F:.]+\]|[^\s:/@[\]]+)(?::([^/]*))?\/?$/i.exec(text);
  if (m === null) throw new UsageError(`Cannot parse ${what}: ${text} (smtp://HOST:PORT or pop3://HOST:PORT)`);
  const protocol = m[1].toLowerCase() as "smtp" | "pop3";
  const fallback = protocol === "smtp" ? (implicitTls ? "465" : "25") : (implicitTls ? "995" : "110");
  return { protocol, host: m[2].replace(/^\[|\]$/g, ""), port: parsePort(m[3] ?? fallback, `${what} port`, false) };
}

/**
 * Parses the arguments.
 *
 * @throws {UsageError} for a missing or bad server URL, flags that do not fit its protocol, or missing credentials
 * @throws {InfoRequest} for `--help` or `--version`
 */
export function parseCheckArgs(args: string[]): CheckConfig {
  checkInfoRequest(args, OPTIONS);
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\s*\n\s*/g, " "));
  }
  const v = parsed.values;
  if (parsed.positionals.length !== 1) throw new UsageError("Expected exactly one server URL");
  if (v.starttls && v.tls) throw new UsageError("Cannot use --starttls and --tls together");
  const target = parseServerUrl(parsed.positionals[0], "the server URL", v.tls);
  const timeoutMs = parseInteger(v.timeout, "--timeout") * 1000;
  if (timeoutMs === 0) throw new UsageError("Cannot use --timeout 0");
  const config: CheckConfig = { target, tls: v.tls ? "implicit" : v.starttls ? "starttls" : "none", timeoutMs };
  if (v["ca-file"] !== undefined) config.caFile = v["ca-file"];
  if (v.user !== undefined) config.user = v.user;
  if (v.pass !== undefined) config.pass = v.pass;
  if ((v.user === undefined) !== (v.pass === undefined)) throw new UsageError("Expected --user and --pass together");
  if (target.protocol === "smtp") {
    if (v.rcpt === undefined) throw new UsageError("Expected --rcpt ADDRESS: a recipient the server takes mail for");
    if (v.smtp !== undefined) throw new UsageError("Cannot use --smtp when checking an SMTP server");
    if (v.pop3 !== undefined) config.pop3 = parseServerUrl(v.pop3, "--pop3");
    if (config.pop3?.protocol === "smtp") throw new UsageError(`Cannot use --pop3 ${v.pop3}: not a pop3:// URL`);
    if (config.pop3 !== undefined && v.user === undefined) {
      throw new UsageError("Expected --user and --pass with --pop3");
    }
  } else {
    if (v.user === undefined) throw new UsageError("Expected --user USER and --pass PASSWORD for a POP3 server");
    if (v.pop3 !== undefined) throw new UsageError("Cannot use --pop3 when checking a POP3 server");
    if (v.smtp !== undefined) config.smtp = parseServerUrl(v.smtp, "--smtp");
    if (config.smtp?.protocol === "pop3") throw new UsageError(`Cannot use --smtp ${v.smtp}: not an smtp:// URL`);
    if (v.rcpt !== undefined && v.smtp === undefined) throw new UsageError("Cannot use --rcpt without --smtp");
  }
  const address = /^[^\s<>@]+@[^\s<>@]+$/;
  for (const [name, value] of [["--rcpt", v.rcpt], ["--from", v.from]] as const) {
    if (value !== undefined && !address.test(value)) throw new UsageError(`Cannot parse ${name}: ${value}`);
  }
  if (v.rcpt !== undefined) config.rcpt = v.rcpt;
  else if (config.smtp !== undefined) config.rcpt = `${config.user}@localhost`;
  if (v.from !== undefined) config.from = v.from;
  return config;
}

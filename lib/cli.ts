/**
 * Command-line helpers shared by the three programs: flag values that must
 * be numbers, and the one-line error with exit status 2.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import type { StderrLog } from "./log.ts";
import { VERSION } from "./version.ts";

/**
 * `--help` or `--version` on a command line: not a mistake, but a request
 * that `runMain` answers on stdout with exit status 0.
 */
export class InfoRequest extends Error {
  /** What was asked for. */
  readonly kind: "help" | "version";
  /** The program's flags, for help. */
  readonly options: ParseArgsOptionsConfig;

  /**
   * @param kind what was asked for
   * @param options the program's flags
   */
  constructor(kind: "help" | "version", options: ParseArgsOptionsConfig) {
    super(`--${kind}`);
    this.name = "InfoRequest";
    this.kind = kind;
    this.options = options;
  }
}

/**
 * One line per flag of a `parseArgs` option table, with the value's name
 * as `usage` spells it and the default: `  --max-errors N (default 10)`,
 * `  --trace[=FILE] (default …)` for a value that may be left out.
 */
export function flagLines(options: ParseArgsOptionsConfig, usage: string): string[] {
  return Object.entries(options).map(([name, option]) => {
    // "--name VALUE", or "--name[=VALUE]" for a value that may be left out.
    const spelled = new RegExp(`--${name}( |\\[=)([A-Z_]+)`).exec(usage);
    const word = spelled?.[2] ?? "VALUE";
    const value = option.type === "boolean" ? "" : spelled?.[1] === "[=" ? `[=${word}]` : ` ${word}`;
    const repeat = option.multiple ? "..." : "";
    const fallback = option.default;
    const shown = Array.isArray(fallback) ? fallback.join(",") : fallback;
    const suffix = shown === undefined || shown === "" || shown === false ? "" : ` (default ${shown})`;
    return `  --${name}${value}${repeat}${suffix}`;
  });
}

/**
 * Throws the `InfoRequest` for `--help`/`-h` or `--version` when `args`
 * holds one (before any other check, so that a help request never meets
 * a complaint about the rest).
 *
 * @throws {InfoRequest} when asked for help or the version
 */
export function checkInfoRequest(args: readonly string[], options: ParseArgsOptionsConfig): void {
  if (args.includes("--help") || args.includes("-h")) throw new InfoRequest("help", options);
  if (args.includes("--version")) throw new InfoRequest("version", options);
}

/** A command-line mistake; the entry point prints it and exits with status 2. */
export class UsageError extends Error {
  /** @param message one line saying what is wrong */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses a port number 1-65535 (0 too when `allowZero`, meaning "any free port").
 *
 * @throws {UsageError} when `text` is not such a number
 */
export function parsePort(text: string | undefined, what: string, allowZero = true): number {
  const port = parseInteger(text, what);
  if (port > 65535 || (port === 0 && !allowZero)) throw new UsageError(`Cannot parse ${what}: ${text}`);
  return port;
}

/**
 * Parses a non-negative decimal integer flag.
 *
 * @throws {UsageError} when `text` is missing or not a plain decimal number
 */
export function parseInteger(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d{1,15}$/.test(text)) {
    throw new UsageError(`Cannot parse ${what}: ${text ?? "missing"}`);
  }
  return Number(text);
}

/** Error codes of a `--host` that is no address of this machine (Deno reports some as EINVAL). */
const BAD_ADDRESS_CODES = new Set(["ENOTFOUND", "EADDRNOTAVAIL", "EINVAL"]);

/**
 * Runs a program's main function, never ending in a stack trace: a bad
 * command line (a `UsageError`, a malformed or missing configuration, a
 * `--root` that is no directory, a `--host` that is no address here, or
 * either beyond what the task's permissions grant) becomes one line on
 * stderr and exit status 2; another failure to start (a port in use) one
 * line and exit status 1. `--help` prints the usage and every flag with its
 * default, `--version` the program's name (the usage's first word) and
 * version; both exit 0.
 */
export async function runMain(usage: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof InfoRequest) {
      const name = usage.split(" ")[0].replace(/\.ts$/, "");
      console.log(
        error.kind === "version" ? `${name} ${VERSION}` : [
          `Usage: ${usage}`,
          "",
          "Flags:",
          ...flagLines(error.options, usage),
          "",
          "See README.md for what each does.",
        ]
          .join("\n"),
      );
      Deno.exit(0);
    }
    if (
      error instanceof UsageError || error instanceof SyntaxError || error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.NotADirectory || error instanceof Deno.errors.IsADirectory
    ) {
      console.error(`${error.message.replace(/\.$/, "")}. Usage: ${usage}`);
      Deno.exit(2);
    }
    if (error instanceof Deno.errors.NotCapable) {
      // A permission the task does not grant, e.g. --root outside the directory it may use.
      console.error(`Cannot start: ${error.message} (see "Permissions" in README.md)`);
      Deno.exit(2);
    }
    if (error instanceof Error && "code" in error) {
      console.error(`Cannot start: ${error.message}`);
      Deno.exit(BAD_ADDRESS_CODES.has(String(error.code)) ? 2 : 1);
    }
    throw error;
  }
}

/**
 * Parses flags and positional arguments, turning every complaint of
 * `parseArgs` (an unknown flag, a missing value) into a `UsageError`.
 *
 * @throws {UsageError} also when the number of positional arguments is not `positionals`
 * @throws {InfoRequest} for `--help` or `--version`
 */
export function parseFlags<T extends ParseArgsOptionsConfig>(
  args: string[],
  options: T,
  positionals: { count: number; names: string },
): { values: Record<string, string | string[] | boolean | undefined>; positionals: string[] } {
  checkInfoRequest(args, options);
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs explains some mistakes over several lines.
    throw new UsageError((error as Error).message.replace(/\s*\n\s*/g, " "));
  }
  if (parsed.positionals.length !== positionals.count) {
    throw new UsageError(`Expected exactly ${positionals.count} argument(s): ${positionals.names}`);
  }
  return parsed as { values: Record<string, string | string[] | boolean | undefined>; positionals: string[] };
}

/**
 * Reads a flag that must be a positive integer.
 *
 * @throws {UsageError} when it is not
 */
export function positiveFlag(values: Record<string, unknown>, name: string): number {
  const n = parseInteger(values[name] as string | undefined, `--${name}`);
  if (n === 0) throw new UsageError(`Cannot use --${name} 0`);
  return n;
}

/** Grace period for open sessions when a server is asked to stop. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Prints the server's `listening` line and stops it gracefully on SIGINT or
 * SIGTERM: no new connections, open sessions answered at their next read,
 * the log flushed, then exit status 0. On SIGUSR1 it logs one line of
 * memory figures (`memoryLine`), for watching a long-running server.
 */
export function serveUntilSignal(
  name: string,
  server: { address: string; shutdown(ms: number): Promise<void> },
  root: string,
  log: StderrLog,
): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.line(`${name}: shutting down`);
    await server.shutdown(SHUTDOWN_GRACE_MS);
    log.flush();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGUSR1", () => log.line(memoryLine(name)));
  // Only now: a signal sent as soon as this line is seen must find its listener (SIGUSR1 would end the process).
  console.log(`${name} listening on ${server.address}, root ${root}`);
}

/**
 * One log line of the process's memory, in bytes:
 * `<time> <name> memory rss=… heap_used=… heap_total=… external=…`.
 */
export function memoryLine(name: string): string {
  const { rss, heapUsed, heapTotal, external } = Deno.memoryUsage();
  return `${new Date().toISOString()} ${name} memory rss=${rss} heap_used=${heapUsed} heap_total=${heapTotal} ` +
    `external=${external}`;
}

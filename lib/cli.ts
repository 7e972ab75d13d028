/**
 * Command-line helpers shared by the three programs: flag values that must
 * be numbers, and the one-line error with exit status 2.
 *
 * @module
 */

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

/**
 * Runs a program's main function: a `UsageError` or a bad configuration
 * becomes one line on stderr and exit status 2, never a stack trace.
 */
export async function runMain(usage: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof UsageError || error instanceof SyntaxError || error instanceof Deno.errors.NotFound) {
      console.error(`${error.message}. Usage: ${usage}`);
      Deno.exit(2);
    }
    if (error instanceof Error && "code" in error) {
      console.error(`Cannot start: ${error.message}`);
      Deno.exit(1);
    }
    throw error;
  }
}

/**
 * The servers' `--trace` and `--trace-format` flags.
 *
 * @module
 */

import { UsageError } from "../cli.ts";
import type { TraceFormat } from "./record.ts";

/** The flags' part of a usage line. */
export const TRACE_USAGE = "[--trace [--trace-format FORMAT]]";

/** The flags, for `parseFlags`; `--trace-format` has no default there so that using it alone can be refused. */
export const TRACE_FLAGS = {
  trace: { type: "boolean", default: false },
  "trace-format": { type: "string" },
} as const;

/**
 * Reads the flags from `parseFlags` values.
 *
 * @returns the trace format (text unless `--trace-format json`), or undefined when tracing is off
 * @throws {UsageError} for a format other than text or json, or `--trace-format` without `--trace`
 */
export function parseTraceFlags(values: Record<string, unknown>): TraceFormat | undefined {
  const format = values["trace-format"] as string | undefined;
  if (format !== undefined && format !== "text" && format !== "json") {
    throw new UsageError(`Cannot parse --trace-format: ${format} (text or json)`);
  }
  if (values.trace !== true) {
    if (format !== undefined) throw new UsageError("Cannot use --trace-format without --trace");
    return undefined;
  }
  return format ?? "text";
}

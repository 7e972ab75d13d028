/**
 * Where `mailclient --trace` writes: a file (made anew on each run) or
 * standard error, so that the menu on standard output stays readable.
 *
 * @module
 */

import { TraceSink } from "../trace/sink.ts";
import type { Connector } from "./connection.ts";
import type { ClientConfig } from "./config.ts";
import { tracingConnector } from "./wire_trace.ts";

/** The client's trace, open. */
export interface ClientTrace {
  /** The connector whose sessions are traced. */
  connect: Connector;
  /** Writes what is left and closes the file. */
  close(): Promise<void>;
}

/**
 * Opens the trace `trace` asks for around `connect`.
 *
 * @throws {Deno.errors.NotCapable} when the client may not write the file (the `client` task grants its default name)
 * @throws {Deno.errors.NotFound} when the file's directory does not exist
 */
export async function openClientTrace(
  trace: NonNullable<ClientConfig["trace"]>,
  connect: Connector,
): Promise<ClientTrace> {
  const file = trace.file === "-"
    ? undefined
    : await Deno.open(trace.file, { write: true, create: true, truncate: true });
  const sink = new TraceSink({
    format: trace.format,
    protocol: "smtp",
    output: file ?? Deno.stderr,
    onError: (message) => console.error(`mailclient: ${message}`),
  });
  return {
    connect: tracingConnector(connect, sink),
    close: async () => {
      await sink.close();
      file?.close();
    },
  };
}

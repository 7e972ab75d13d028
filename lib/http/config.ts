/**
 * The web inbox's flags on `popserver.ts`: `--http PORT` turns it on,
 * `--http-tls` serves it over TLS with the certificate of `--tls-cert` and
 * `--tls-key`.
 *
 * @module
 */

import { parsePort, UsageError } from "../cli.ts";

/** Usage text of the flags. */
export const HTTP_USAGE = "[--http PORT [--http-tls]]";

/** The flags, for `parseFlags`. */
export const HTTP_FLAGS = {
  http: { type: "string" },
  "http-tls": { type: "boolean", default: false },
} as const;

/** Where and how the web inbox is served. */
export interface HttpConfig {
  /** The port; 0 picks a free one. */
  port: number;
  /** Whether it is served over TLS (HTTPS). */
  tls: boolean;
}

/**
 * Reads the flags from `parseFlags` values: undefined without `--http`.
 *
 * @throws {UsageError} on a bad port, `--http-tls` without `--http` or without a certificate
 */
export function parseHttpFlags(values: Record<string, unknown>): HttpConfig | undefined {
  const port = values.http as string | undefined;
  const tls = values["http-tls"] === true;
  if (port === undefined) {
    if (tls) throw new UsageError("Cannot use --http-tls without --http");
    return undefined;
  }
  if (tls && values["tls-cert"] === undefined) throw new UsageError("Cannot use --http-tls without --tls-cert");
  return { port: parsePort(port, "--http"), tls };
}

/**
 * What a client's `--trace` shows a protocol follower (`Pop3WireTrace`,
 * `SmtpWireTrace`), on its own so that the followers and the transport that
 * feeds them (`wire_trace.ts`) need not import each other.
 *
 * @module
 */

/** What a protocol follower is told about one connection, in the order it happens. */
export interface WireTrace {
  /** The connection to `server` ("host:port") is open. */
  connected(server: string): void;
  /** The client sent these bytes (one or more command lines, or message content). */
  sent(bytes: Uint8Array): void;
  /** The client read this line from the server, without its line end. */
  received(line: Uint8Array): void;
  /** The TLS handshake after STARTTLS or STLS: done (undefined), or why it failed. */
  tls(failure: string | undefined): void;
  /** The connection is closed. */
  closed(): void;
}

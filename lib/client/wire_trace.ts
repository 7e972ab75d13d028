/**
 * A client's own `--trace`: a `LineTransport` that shows a protocol
 * follower every byte it sends and every line it reads, so that the
 * follower can trace the session in the servers' format. The POP3 and SMTP
 * clients do not know they are traced.
 *
 * @module
 */

import type { SessionTraceOptions } from "../trace/sink.ts";
import { ClientError, type Connector, type Endpoint, type LineTransport } from "./connection.ts";
import { Pop3WireTrace } from "./pop3_wire_trace.ts";
import { SmtpWireTrace } from "./smtp_wire_trace.ts";
import type { WireTrace } from "./wire_follower.ts";

/** Makes the follower of one connection speaking `protocol`. */
export function wireTraceFor(protocol: "smtp" | "pop3", options: SessionTraceOptions): WireTrace {
  return protocol === "smtp" ? new SmtpWireTrace(options) : new Pop3WireTrace(options);
}

/**
 * A connector whose connections are traced: each gets the next session of
 * `sessions` and the follower of its endpoint's protocol.
 *
 * @throws {TypeError} (from the connector it returns) for an endpoint without a protocol
 * @param sessions gives each new connection its session number and where its records go (a `TraceSink`)
 */
export function tracingConnector(connect: Connector, sessions: { session(): SessionTraceOptions }): Connector {
  return async (endpoint: Endpoint) => {
    if (endpoint.protocol === undefined) throw new TypeError(`Cannot trace the ${endpoint.name}: no protocol given`);
    const inner = await connect(endpoint);
    const wire = wireTraceFor(endpoint.protocol, sessions.session());
    const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
    wire.connected(`${host}:${endpoint.port}`);
    return new TracingTransport(inner, wire);
  };
}

const encoder = new TextEncoder();

/** A `LineTransport` that shows `wire` what goes by, then passes it on unchanged. */
export class TracingTransport implements LineTransport {
  readonly #inner: LineTransport;
  readonly #wire: WireTrace;
  #closed = false;

  /**
   * @param inner the transport that does the work
   * @param wire the follower told of everything
   */
  constructor(inner: LineTransport, wire: WireTrace) {
    this.#inner = inner;
    this.#wire = wire;
  }

  /** The address of this end, as the inner transport has it. */
  get localAddress(): string {
    return this.#inner.localAddress;
  }

  /** Reads one line and shows it to the follower. */
  async readLine(): Promise<Uint8Array | null> {
    const line = await this.#inner.readLine();
    if (line !== null) this.#wire.received(line);
    return line;
  }

  /** Shows the bytes to the follower, then sends them. */
  async write(data: string | Uint8Array): Promise<void> {
    this.#wire.sent(typeof data === "string" ? encoder.encode(data) : data);
    await this.#inner.write(data);
  }

  /** Starts TLS and tells the follower how it went. */
  async startTls(): Promise<void> {
    try {
      await this.#inner.startTls();
    } catch (error) {
      this.#wire.tls(error instanceof ClientError ? error.message : String(error));
      throw error;
    }
    this.#wire.tls(undefined);
  }

  /** Closes the connection; the follower is told once. */
  async close(): Promise<void> {
    if (!this.#closed) this.#wire.closed();
    this.#closed = true;
    await this.#inner.close();
  }
}

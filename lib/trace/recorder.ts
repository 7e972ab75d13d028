/**
 * What both protocols' session traces share: stamping a noted line with the
 * time, protocol and session and handing it on, the lines of events (the
 * connection, TLS, state changes), and the guard that keeps a bug in the
 * trace from ever reaching the session. No I/O.
 *
 * @module
 */

import { type Annotation, describe } from "./annotation.ts";
import type { NotedLine } from "./message.ts";
import type { Direction, TraceRecord } from "./record.ts";
import type { SessionTraceOptions } from "./sink.ts";

/** The events every protocol's trace has. */
type CommonEvent = "connected" | "implicit TLS";

/** Records one session's lines for a protocol whose events are annotated in `events`. */
export class TraceRecorder<Event extends string> {
  readonly #options: SessionTraceOptions;
  readonly #protocol: TraceRecord["protocol"];
  readonly #events: Readonly<Record<Event | CommonEvent, Annotation>>;

  /**
   * @param options the session's number and where records go
   * @param protocol the protocol named in each record
   * @param events the annotation of each event
   */
  constructor(
    options: SessionTraceOptions,
    protocol: TraceRecord["protocol"],
    events: Readonly<Record<Event | CommonEvent, Annotation>>,
  ) {
    this.#options = options;
    this.#protocol = protocol;
    this.#events = events;
  }

  /** The connection is open: from where, and whether it runs under implicit TLS. */
  opened(clientAddress: string, implicitTls: boolean): void {
    this.guard(() => {
      this.event("connected", `connection from ${clientAddress}`);
      if (implicitTls) this.event("implicit TLS", "TLS (implicit)");
    });
  }

  /** A client's connection is open: to which server (the client's own trace, `mailclient --trace`, the checker). */
  openedTo(serverAddress: string): void {
    this.guard(() => this.event("connected", `connected to ${serverAddress}`));
  }

  /** Records an event's line with its annotation. */
  event(key: Event | CommonEvent, line: string): void {
    this.emit("-", { line, note: describe(key, this.#events[key]) });
  }

  /** Records one line going `direction`, stamped with the time, protocol and session. */
  emit(direction: Direction, { line, note }: NotedLine): void {
    const { session, now } = this.#options;
    this.#options.emit({ time: now?.() ?? new Date(), protocol: this.#protocol, session, direction, line, note });
  }

  /** Runs one recording; a bug in it becomes a trace line, never an exception in the session. */
  guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.emit("-", { line: "trace error", note: String((error as Error)?.message ?? error) });
    }
  }
}

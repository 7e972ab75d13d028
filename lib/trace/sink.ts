/**
 * Where a server's `--trace` lines go: its standard output, written in the
 * background so that a slow reader never holds up a session.
 *
 * @module
 */

import { formatRecord, type TraceFormat, type TraceRecord } from "./record.ts";

/** Something to write trace text to; `Deno.stdout` by default. */
export interface TraceOutput {
  /** Writes some of `bytes` and resolves with how many; rejects when the output is gone. */
  write(bytes: Uint8Array): Promise<number>;
}

/** Options for a `TraceSink`. */
export interface TraceSinkOptions {
  /** Text or JSON lines. */
  format: TraceFormat;
  /** The protocol of the server, for the sink's own records. */
  protocol: TraceRecord["protocol"];
  /** Where to write; standard output unless given. */
  output?: TraceOutput;
  /** Told once when the output fails; tracing then stops. */
  onError?(message: string): void;
}

/** What one session's trace needs: its number and where its records go. */
export interface SessionTraceOptions {
  /** The session's number in this server process, from 1. */
  session: number;
  /** Takes each record; must not throw (a `TraceSink` does not). */
  emit(record: TraceRecord): void;
  /** Clock, for tests. */
  now?: () => Date;
}

/** Characters of trace text held while the output is slow; beyond it, lines are dropped and counted. */
const MAX_PENDING_CHARS = 1024 * 1024;

const encoder = new TextEncoder();

/**
 * Takes trace records from every session of a server and writes them in
 * the order taken. The lines of one turn of the event loop leave in one
 * write, and writes are asynchronous: a session never waits for the
 * output. While a write is under way, later lines gather; past about 1 MiB
 * they are dropped, and a line saying how many takes their place. A
 * failing output stops the tracing, never the server.
 */
export class TraceSink {
  #options: TraceSinkOptions;
  #output: TraceOutput;
  #pending: string[] = [];
  #pendingChars = 0;
  #dropped = 0;
  #writing: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failed = false;
  #sessions = 0;

  /** @param options the format and where to write */
  constructor(options: TraceSinkOptions) {
    this.#options = options;
    this.#output = options.output ?? Deno.stdout;
  }

  /** The options of the next session's trace: the next number, and this sink. */
  session(): SessionTraceOptions {
    return { session: ++this.#sessions, emit: (record) => this.record(record) };
  }

  /** Queues one record; it is written after the current turn of the event loop. Never throws. */
  record(record: TraceRecord): void {
    if (this.#failed) return;
    if (this.#pendingChars > MAX_PENDING_CHARS) {
      this.#dropped++;
      return;
    }
    try {
      this.#queue(formatRecord(record, this.#options.format));
    } catch (error) {
      this.#options.onError?.(`trace record not written: ${(error as Error).message}`);
    }
    this.#timer ??= setTimeout(() => this.#flush(), 0);
  }

  /** Writes everything queued and resolves once it is written (or the output failed). */
  async close(): Promise<void> {
    while (this.#writing !== undefined || ((this.#pending.length > 0 || this.#dropped > 0) && !this.#failed)) {
      this.#flush();
      await this.#writing;
    }
  }

  #queue(line: string): void {
    this.#pending.push(line);
    this.#pendingChars += line.length + 1;
  }

  /** The line that stands for the records dropped since the last write began: they came after what is queued. */
  #droppedRecord(): string {
    const record: TraceRecord = {
      time: new Date(),
      protocol: this.#options.protocol,
      session: 0,
      direction: "-",
      line: `${this.#dropped} trace lines dropped`,
      note: "the trace output was too slow to take them",
    };
    this.#dropped = 0;
    return formatRecord(record, this.#options.format);
  }

  /** Starts writing what is queued unless a write is under way; that one starts the next when done. */
  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#writing !== undefined || this.#failed) return;
    if (this.#dropped > 0) this.#queue(this.#droppedRecord());
    if (this.#pending.length === 0) return;
    const bytes = encoder.encode(this.#pending.join("\n") + "\n");
    this.#pending = [];
    this.#pendingChars = 0;
    this.#writing = this.#writeAll(bytes).finally(() => {
      this.#writing = undefined;
      if (this.#pending.length > 0) this.#timer ??= setTimeout(() => this.#flush(), 0);
    });
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    try {
      for (let done = 0; done < bytes.length;) done += await this.#output.write(bytes.subarray(done));
    } catch (error) {
      this.#failed = true;
      this.#pending = [];
      this.#options.onError?.(`trace output failed, tracing stops: ${(error as Error).message}`);
    }
  }
}

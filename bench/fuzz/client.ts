/**
 * Plays one fuzz session over a real socket (node:net, which can bind a
 * chosen loopback source address and send a TCP reset): writes its pieces,
 * reads every reply as it comes, ends it as the session says, and reports
 * whether the server answered and closed within the bound.
 *
 * @module
 */

import { connect, type Socket } from "node:net";
import type { FuzzSession } from "./plan.ts";

/** How a session went, seen from the client. */
export type SessionOutcome =
  /** The server closed the connection (after QUIT, FIN, an error limit, or of its own accord). */
  | "closed"
  /** The client closed or reset the connection itself, as the session said. */
  | "aborted"
  /** The connection could not be made. */
  | "refused"
  /** The server neither closed nor took more input within the bound after the client's last move. */
  | "hang";

/** The client's account of one session. */
export interface SessionReport {
  /** How it went. */
  outcome: SessionOutcome;
  /** Octets written. */
  sent: number;
  /** Octets received. */
  received: number;
  /** Milliseconds from connect to the end. */
  ms: number;
  /** Milliseconds from the client's last move (last write, or FIN) to the server's close, when it closed. */
  closeMs?: number;
  /** For a hang: what the client was waiting for. */
  waitingFor?: string;
  /** For a hang: milliseconds since the last octet from the server. */
  quietMs?: number;
  /** The last reply text received (up to 300 characters), for reports. */
  tail: string;
  /** Lockstep turns whose reply took longer than `SLOW_REPLY_MS`. */
  slowReplies: number;
}

/** Where and how to play a session. */
export interface PlayOptions {
  /** The server's port on 127.0.0.1. */
  port: number;
  /** The loopback source address to connect from (127.0.0.2 and up). */
  localAddress: string;
  /** How long the server may take to close after the client's last move before it counts as a hang. */
  hangMs: number;
  /** Receives each complete reply line (without CRLF, as Latin-1 text). */
  onLine(line: string): void;
}

/** A lockstep turn waits this long for its reply before going on (counted in `slowReplies`). */
export const SLOW_REPLY_MS = 5_000;

const decoder = new TextDecoder("latin1");

/** Plays `session`; never throws for anything the server does. */
export async function playSession(session: FuzzSession, options: PlayOptions): Promise<SessionReport> {
  const started = Date.now();
  const socket = connect({ host: "127.0.0.1", port: options.port, localAddress: options.localAddress });
  const state = new Watch(socket, options.onLine);
  const report = (outcome: SessionOutcome, extra: Partial<SessionReport> = {}): SessionReport => ({
    outcome,
    sent: state.sent,
    received: state.received,
    ms: Date.now() - started,
    tail: state.tail,
    slowReplies: state.slowReplies,
    ...extra,
  });
  try {
    if (!await state.connected) return report("refused");
    if (session.lockstep && !await state.waitLine(SLOW_REPLY_MS)) state.slowReplies++;
    for (const piece of session.writes) {
      if (state.closed) return report("closed");
      const before = state.lines;
      const written = await state.write(piece, options.hangMs);
      if (written === "closed") return report("closed");
      if (written === "stuck") {
        return report("hang", { waitingFor: "the server to take input", quietMs: state.quiet() });
      }
      // The last piece needs no wait here: the ending waits for the close.
      const last = piece === session.writes[session.writes.length - 1];
      if (session.lockstep && !last && !await state.waitLine(SLOW_REPLY_MS, before)) state.slowReplies++;
    }
    if (session.ending === "close" || session.ending === "reset") {
      if (session.ending === "reset") socket.resetAndDestroy();
      else socket.destroy();
      return report(state.closed ? "closed" : "aborted");
    }
    if (session.ending === "fin") socket.end();
    const lastMove = Date.now();
    if (await state.waitClose(options.hangMs)) return report("closed", { closeMs: Date.now() - lastMove });
    const waitingFor = session.ending === "fin" ? "a close after FIN" : "a close after QUIT";
    return report("hang", { waitingFor, quietMs: state.quiet() });
  } finally {
    socket.destroy();
    await state.gone;
  }
}

/** The socket's events, as promises and counters. */
class Watch {
  sent = 0;
  received = 0;
  lines = 0;
  slowReplies = 0;
  closed = false;
  tail = "";
  readonly connected: Promise<boolean>;
  readonly gone: Promise<void>;
  #socket: Socket;
  #carry = "";
  #lastData = Date.now();
  #waiters = new Set<() => void>();

  constructor(socket: Socket, onLine: (line: string) => void) {
    this.#socket = socket;
    socket.setNoDelay(true);
    this.connected = new Promise((resolve) => {
      socket.once("connect", () => resolve(true));
      socket.once("close", () => resolve(false));
    });
    this.gone = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {}); // resets and refusals show as "close"
    socket.on("data", (chunk: Uint8Array) => {
      this.received += chunk.length;
      this.#lastData = Date.now();
      const fresh = decoder.decode(chunk);
      const parts = (this.#carry + fresh).split("\r\n");
      this.#carry = parts.pop()!.slice(-1000);
      for (const line of parts) onLine(line);
      this.lines += parts.length;
      this.tail = (this.tail + fresh).slice(-300);
      this.#wake();
    });
    const end = () => {
      this.closed = true;
      this.#wake();
    };
    socket.on("end", end);
    socket.on("close", end);
  }

  /** Milliseconds since the server last sent anything. */
  quiet(): number {
    return Date.now() - this.#lastData;
  }

  /**
   * Writes one piece and waits until the kernel took it: "closed" when the
   * connection ended first, "stuck" when the server read none of it for
   * `hangMs` while the connection stayed open.
   */
  async write(piece: Uint8Array, hangMs: number): Promise<"ok" | "closed" | "stuck"> {
    const flushed = new Promise<boolean>((resolve) => {
      this.#socket.write(piece, (error) => resolve(!error));
    });
    const result = await this.#until(() => this.closed, hangMs, flushed);
    if (result === undefined) return "stuck";
    if (result === false || this.closed) return "closed";
    this.sent += piece.length;
    return "ok";
  }

  /** Waits for a reply line after `before` lines (or any line), or the close, up to `ms`. */
  async waitLine(ms: number, before = 0): Promise<boolean> {
    return await this.#until(() => this.lines > before || this.closed, ms) ?? false;
  }

  /** Waits for the server to close, up to `ms`. */
  async waitClose(ms: number): Promise<boolean> {
    return await this.#until(() => this.closed, ms) ?? false;
  }

  /**
   * Resolves true once `done()` holds, with `also`'s value if it settles
   * first, or undefined after `ms`.
   */
  #until(done: () => boolean, ms: number, also?: Promise<boolean>): Promise<boolean | undefined> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (value: boolean | undefined) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(value);
      };
      const check = () => {
        if (done()) finish(true);
      };
      const timer = setTimeout(() => finish(undefined), ms);
      this.#waiters.add(check);
      also?.then(finish);
    });
  }

  #wake(): void {
    for (const check of [...this.#waiters]) check();
  }
}

/**
 * An in-memory `LineTransport` that plays the server's side of a written
 * conversation, for transcript tests of the client's POP3 and SMTP code.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { LineTransport } from "../../lib/client/connection.ts";

/** One turn: the lines the client sends (none for the greeting), then the server's reply lines. */
export interface Turn {
  /** Client lines, without CRLF. */
  c?: string | string[];
  /** Server lines, without CRLF. */
  s: string[];
}

/**
 * Plays `turns` in order: before handing out a turn's reply lines it checks
 * that the client sent exactly that turn's lines. Once the turns are used
 * up, reads see the end of the connection.
 */
export class FakeTransport implements LineTransport {
  readonly localAddress = "[127.0.0.1]";
  #turns: Turn[];
  #next = 0;
  #replies: string[] = [];
  #sent = "";
  /** True once `close` was called. */
  closed = false;
  /** How many turns had been played when `startTls` was called, or undefined if it never was. */
  tlsStartedAfter: number | undefined;

  /** @param turns the conversation, the greeting first */
  constructor(turns: Turn[]) {
    this.#turns = turns;
  }

  /** True when every turn has been played and nothing was sent after the last one. */
  get finished(): boolean {
    return this.#next === this.#turns.length && this.#replies.length === 0 && this.#sent === "";
  }

  readLine(): Promise<Uint8Array | null> {
    if (this.#replies.length === 0) {
      const turn = this.#turns[this.#next];
      if (turn === undefined) return Promise.resolve(null);
      const expected = turn.c === undefined ? [] : typeof turn.c === "string" ? [turn.c] : turn.c;
      assert.deepEqual(this.#takeSent(), expected, `client lines before turn ${this.#next + 1}`);
      this.#next++;
      this.#replies = [...turn.s];
    }
    return Promise.resolve(new TextEncoder().encode(this.#replies.shift()!));
  }

  write(data: string | Uint8Array): Promise<void> {
    this.#sent += typeof data === "string" ? data : new TextDecoder().decode(data);
    return Promise.resolve();
  }

  startTls(): Promise<void> {
    assert.equal(this.#sent, "", "client lines sent before startTls");
    assert.equal(this.#replies.length, 0, "server lines unread before startTls");
    this.tlsStartedAfter = this.#next;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  #takeSent(): string[] {
    assert.ok(
      this.#sent === "" || this.#sent.endsWith("\r\n"),
      `unterminated client line: ${JSON.stringify(this.#sent)}`,
    );
    const lines = this.#sent === "" ? [] : this.#sent.slice(0, -2).split("\r\n");
    this.#sent = "";
    return lines;
  }
}

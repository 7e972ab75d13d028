/**
 * Follows a POP3 session from the client's side, as the client sent and
 * read it, and traces it with the server's `Pop3Trace`: the same lines,
 * annotations, masking, listings and message summary as `popserver
 * --trace`. Commands sent in a batch (PIPELINING) are each traced just
 * before their reply, as the server saw them.
 *
 * @module
 */

import { Pop3Trace } from "../pop3/session_trace.ts";
import type { Pop3State } from "../pop3/session_types.ts";
import type { SessionTraceOptions } from "../trace/sink.ts";
import type { WireTrace } from "./wire_follower.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** What the lines after a status line are: none, a listing ending in ".", or message content (RETR, TOP). */
type Following = "none" | "listing" | "content";

/**
 * What follows a +OK to `keyword` (RFC 1939 3: multi-line replies).
 *
 * @param argument whether the command had an argument (LIST 1 is one line, LIST is a listing)
 */
export function pop3Following(keyword: string, argument: boolean): Following {
  if (keyword === "RETR" || keyword === "TOP") return "content";
  if (keyword === "CAPA" || (!argument && (keyword === "LIST" || keyword === "UIDL" || keyword === "AUTH"))) {
    return "listing";
  }
  return "none";
}

/** One POP3 client session's trace. */
export class Pop3WireTrace implements WireTrace {
  readonly #trace: Pop3Trace;
  #state: Pop3State = "authorization";
  #sent: string[] = [];
  #following: Following = "none";
  #sasl = false;

  /** @param options the session's number and where records go */
  constructor(options: SessionTraceOptions) {
    this.#trace = new Pop3Trace(options);
  }

  /** The connection is open: the session begins in the AUTHORIZATION state. */
  connected(server: string): void {
    this.#trace.openedTo(server);
    this.#trace.state(this.#state);
  }

  /** Command lines, one or a batch. */
  sent(bytes: Uint8Array): void {
    const lines = decoder.decode(bytes).split(/\r?\n/);
    if (lines.at(-1) === "") lines.pop();
    this.#sent.push(...lines);
  }

  /** A line from the server: a status line, a line of a listing, or of a message. */
  received(bytes: Uint8Array): void {
    const line = decoder.decode(bytes);
    if (this.#following === "content") {
      this.#trace.content(encoder.encode(`${line}\r\n`));
      if (line === ".") this.#trace.contentEnd();
      if (line === ".") this.#following = "none";
      return;
    }
    if (this.#following === "listing") {
      this.#trace.reply(line);
      if (line === ".") this.#following = "none";
      return;
    }
    const command = this.#sent.shift();
    if (command !== undefined) this.#trace.command(command, false);
    this.#trace.reply(line);
    const challenge = line === "+" || line.startsWith("+ ");
    if (command === undefined || challenge) {
      this.#sasl = challenge;
      return;
    }
    this.#status(command, line.startsWith("+OK"));
  }

  /** After STLS: TLS is up (RFC 2595 4). */
  tls(failure: string | undefined): void {
    this.#trace.tls(failure);
  }

  /** The connection is closed: commands never answered are traced first. */
  closed(): void {
    for (const command of this.#sent.splice(0)) this.#trace.command(command, false);
    this.#trace.closed();
  }

  /** A status line answering `command`: what follows it, and the session's new state. */
  #status(command: string, ok: boolean): void {
    const words = command.split(" ");
    // A line answering a "+" challenge belongs to the AUTH that began the exchange.
    const keyword = this.#sasl ? "AUTH" : words[0].toUpperCase();
    const argument = this.#sasl || words.length > 1;
    this.#sasl = false;
    this.#following = ok ? pop3Following(keyword, argument) : "none";
    const login = keyword === "PASS" || keyword === "APOP" || (keyword === "AUTH" && argument);
    if (this.#state === "authorization" && ok && login) this.#state = "transaction";
    if (keyword === "QUIT" && this.#state === "transaction") this.#state = "update";
    this.#trace.state(this.#state);
  }
}

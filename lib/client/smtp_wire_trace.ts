/**
 * Follows an SMTP session from the client's side, as the client sent and
 * read it, and traces it with the server's `SmtpTrace`: the same lines,
 * annotations, masking and message summary as `smtpmail --trace`. It keeps
 * the session's state from the replies, as the server would have it.
 *
 * @module
 */

import type { Line } from "../net/line_splitter.ts";
import type { SmtpState } from "../smtp/rules.ts";
import { SmtpTrace } from "../smtp/session_trace.ts";
import type { SessionTraceOptions } from "../trace/sink.ts";
import type { WireTrace } from "./wire_follower.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const END_OF_DATA = "\r\n.\r\n";

/**
 * The state a server is in after answering `verb` with `code`, from `state`
 * (RFC 5321 4.1.4 and 3.3; RFC 4954 4 for AUTH).
 *
 * @param verb the command answered, "." for the end of data, undefined for the greeting
 * @param before the state before AUTH began, where a finished SASL exchange returns
 */
export function smtpStateAfter(state: SmtpState, verb: string | undefined, code: number, before: SmtpState): SmtpState {
  if (verb === undefined) return "greet";
  if (state === "auth") return code === 334 ? "auth" : before;
  if (verb === "AUTH") return code === 334 ? "auth" : state;
  const ok = code >= 200 && code < 300;
  if ((verb === "EHLO" || verb === "HELO") && ok) return "ready";
  if (verb === "MAIL" && ok) return "mail";
  if (verb === "RCPT" && ok) return "rcpt";
  if (verb === "DATA") return code === 354 ? "data" : state;
  if (verb === "." || (verb === "RSET" && ok && state !== "greet")) return "ready";
  return state;
}

/** One SMTP client session's trace. */
export class SmtpWireTrace implements WireTrace {
  readonly #trace: SmtpTrace;
  #state: SmtpState = "greet";
  #beforeAuth: SmtpState = "greet";
  /** Command lines sent, not yet answered: each is traced just before its reply, as the server saw it. */
  #sent: string[] = [];
  /** The verb of the reply being read. */
  #answering: string | undefined;
  #reply: string[] = [];
  /** The last octets of the message sent so far, to see its end marker; a CRLF before the first. */
  #dataTail = "";
  #inData = false;

  /** @param options the session's number and where records go */
  constructor(options: SessionTraceOptions) {
    this.#trace = new SmtpTrace(options);
  }

  /** The connection is open. */
  connected(server: string): void {
    this.#trace.openedTo(server);
  }

  /** Message content after a 354, or command lines. */
  sent(bytes: Uint8Array): void {
    if (this.#inData) return this.#data(bytes);
    const text = decoder.decode(bytes);
    const lines = text.split(/\r?\n/);
    if (lines.at(-1) === "") lines.pop();
    this.#sent.push(...lines);
  }

  /** A reply line; a whole reply is traced with the command it answers. */
  received(bytes: Uint8Array): void {
    const line = decoder.decode(bytes);
    if (this.#reply.length === 0) this.#startReply();
    this.#reply.push(line);
    if (line[3] === "-") return;
    this.#trace.reply(this.#reply.map((l) => `${l}\r\n`).join(""));
    const code = Number(line.slice(0, 3));
    const after = smtpStateAfter(this.#state, this.#answering, code, this.#beforeAuth);
    if (after === "auth" && this.#state !== "auth") this.#beforeAuth = this.#state;
    this.#state = after;
    this.#inData = after === "data";
    this.#dataTail = "\r\n";
    this.#trace.state(after);
    this.#reply = [];
  }

  /** After STARTTLS: the session starts again under TLS (RFC 3207 4.2). */
  tls(failure: string | undefined): void {
    this.#trace.tls(failure);
    if (failure === undefined) this.#state = "greet";
  }

  /** The connection is closed: commands never answered are traced first. */
  closed(): void {
    if (this.#reply.length > 0) this.#trace.reply(this.#reply.map((l) => `${l}\r\n`).join(""));
    for (const line of this.#sent.splice(0)) this.#command(line);
    this.#trace.closed();
  }

  /** A reply begins: it answers the next command sent, if any (else it is the greeting or unasked). */
  #startReply(): void {
    const line = this.#sent.shift();
    if (line === undefined) {
      if (this.#answering !== ".") this.#answering = undefined;
      return;
    }
    this.#command(line);
  }

  #command(line: string): void {
    this.#trace.command(lineOf(line), this.#state);
    this.#answering = this.#state === "auth" ? "AUTH" : line.split(" ")[0].toUpperCase();
  }

  #data(bytes: Uint8Array): void {
    this.#dataTail = (this.#dataTail + decoder.decode(bytes)).slice(-END_OF_DATA.length);
    const ended = this.#dataTail === END_OF_DATA;
    this.#trace.data(bytes, ended);
    if (!ended) return;
    this.#inData = false;
    this.#answering = ".";
  }
}

/** A sent line as the server's line splitter would have given it. */
function lineOf(text: string): Line {
  const bytes = encoder.encode(text);
  return { bytes, raw: encoder.encode(`${text}\r\n`), crlf: true, tooLong: false };
}

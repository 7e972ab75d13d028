/**
 * `popserver --trace` for one session: every command and reply, listings
 * cut after a few lines, a retrieved message as its first header lines and
 * size, state changes and TLS, each with its annotation. `pop3ClientLine`
 * is pure; `Pop3Trace` follows the conversation (which command a reply
 * answers, whether a multi-line reply or a SASL exchange is under way) as
 * any POP3 client could, adds the time and the session's number, and hands
 * records on. No I/O.
 *
 * @module
 */

import { challengeText, describe, MASK } from "../trace/annotation.ts";
import { MessageGlance, type NotedLine } from "../trace/message.ts";
import type { SessionTraceOptions } from "../trace/sink.ts";
import { TraceRecorder } from "../trace/recorder.ts";
import {
  POP3_CLIENT_LINES,
  POP3_EVENTS,
  POP3_SERVER_LINES,
  pop3CapabilityNote,
  pop3CommandNote,
  pop3StateNote,
  pop3StatusNote,
} from "./annotations.ts";
import type { Pop3State } from "./session_types.ts";

/** Lines of a LIST or UIDL listing shown before the rest is only counted. */
export const LISTING_SHOWN = 10;

/**
 * A client's line as traced: secrets masked (`PASS ****`, `AUTH PLAIN
 * ****`, every line answering a "+" challenge), and its annotation.
 *
 * @param saslResponse true when the line answers a "+" challenge
 */
export function pop3ClientLine(text: string, saslResponse: boolean): NotedLine {
  if (saslResponse) {
    return text === "*"
      ? { line: "*", note: describe("*", POP3_CLIENT_LINES["SASL cancel"]) }
      : { line: MASK, note: describe("SASL response", POP3_CLIENT_LINES["SASL response"]) };
  }
  const words = text.split(" ");
  const keyword = words[0].toUpperCase();
  const line = keyword === "PASS" && words.length > 1
    ? `${words[0]} ${MASK}`
    : keyword === "AUTH" && words.length > 2
    ? `${words[0]} ${words[1]} ${MASK}`
    : text;
  return { line, note: pop3CommandNote(words[0]) };
}

/** Which multi-line reply is being traced: its kind decides each line's note. */
type Listing = "CAPA" | "LIST" | "UIDL" | "AUTH";

/** One POP3 session's trace. Every method records and returns; none throws into the session. */
export class Pop3Trace {
  readonly #recorder: TraceRecorder<keyof typeof POP3_EVENTS>;
  #state: Pop3State | undefined;
  #answering: string | undefined;
  #argument = false;
  #sasl = false;
  #listing: Listing | undefined;
  #listed = 0;
  #message: MessageGlance | undefined;

  /** @param options the session's number and where records go */
  constructor(options: SessionTraceOptions) {
    this.#recorder = new TraceRecorder(options, "pop3", POP3_EVENTS);
  }

  /** The connection is open: from where, and whether it runs under implicit TLS. */
  opened(clientAddress: string, implicitTls: boolean): void {
    this.#recorder.opened(clientAddress, implicitTls);
  }

  /** The client's side of a connection is open, to `serverAddress` (a client's own trace). */
  openedTo(serverAddress: string): void {
    this.#recorder.openedTo(serverAddress);
  }

  /** A command line as received; `tooLong` when its bytes were dropped. */
  command(text: string, tooLong: boolean): void {
    this.#recorder.guard(() => {
      if (tooLong) {
        this.#answering = "";
        return this.#recorder.emit("C", {
          line: "[line over the limit]",
          note: describe("line", POP3_CLIENT_LINES["too long"]),
        });
      }
      this.#recorder.emit("C", pop3ClientLine(text, this.#sasl));
      if (this.#sasl) return;
      const words = text.split(" ");
      this.#answering = words[0].toUpperCase();
      this.#argument = words.length > 1;
    });
  }

  /** One reply line as sent, without CRLF: a status line, or a line of a listing. */
  reply(line: string): void {
    this.#recorder.guard(() => {
      if (this.#listing !== undefined) return this.#listingLine(line);
      if (line === "+" || line.startsWith("+ ")) {
        this.#sasl = true;
        return this.#recorder.emit("S", {
          line,
          note: describe("+", POP3_SERVER_LINES.challenge) + challengeText(line.slice(2)),
        });
      }
      this.#sasl = false;
      this.#recorder.emit("S", { line, note: pop3StatusNote(line, this.#answering) });
      if (line.startsWith("+OK")) this.#listing = this.#listingAfter(this.#answering);
      this.#listed = 0;
    });
  }

  /** Bytes of a message sent after +OK to RETR or TOP, its terminating ".\r\n" included. */
  content(bytes: Uint8Array): void {
    this.#recorder.guard(() => {
      this.#message ??= new MessageGlance();
      this.#message.add(bytes);
    });
  }

  /** The message sent by `content` is complete. */
  contentEnd(): void {
    this.#recorder.guard(() => {
      const message = this.#message ?? new MessageGlance();
      // The bytes end with the terminating ".\r\n", which is not part of the message.
      const note = describe("message", POP3_SERVER_LINES.message);
      for (const line of message.lines(Math.max(0, message.size - 3), note)) this.#recorder.emit("S", line);
      this.#recorder.emit("S", { line: ".", note: describe(".", POP3_SERVER_LINES.end) });
      this.#message = undefined;
    });
  }

  /** The session's state after a step; recorded when it changed. */
  state(state: Pop3State): void {
    this.#recorder.guard(() => {
      if (state === this.#state) return;
      this.#state = state;
      this.#recorder.emit("-", pop3StateNote(state));
    });
  }

  /** The TLS handshake after STLS: done, or why it failed. */
  tls(failure: string | undefined): void {
    this.#recorder.guard(() => {
      if (failure === undefined) this.#recorder.event("TLS started", "TLS started");
      else this.#recorder.event("TLS failed", `TLS handshake failed: ${failure}`);
    });
  }

  /** The connection is closed. */
  closed(): void {
    this.#recorder.guard(() => this.#recorder.event("closed", "connection closed"));
  }

  /** Which listing follows a +OK to `keyword`, if any (RFC 1939 3: multi-line replies). */
  #listingAfter(keyword: string | undefined): Listing | undefined {
    if (keyword === "CAPA") return "CAPA";
    if ((keyword === "LIST" || keyword === "UIDL" || keyword === "AUTH") && !this.#argument) return keyword;
    return undefined;
  }

  #listingLine(line: string): void {
    if (line === ".") {
      const hidden = this.#listed - LISTING_SHOWN;
      if (hidden > 0) {
        this.#recorder.emit("S", { line: `[${hidden} more lines]`, note: describe("more", POP3_SERVER_LINES.more) });
      }
      this.#listing = undefined;
      return this.#recorder.emit("S", { line, note: describe(".", POP3_SERVER_LINES.end) });
    }
    if (++this.#listed > LISTING_SHOWN) return;
    const kind = this.#listing!;
    const note = kind === "CAPA"
      ? pop3CapabilityNote(line) ?? describe(line.split(" ")[0], POP3_SERVER_LINES.capability)
      : describe(`${kind} line`, POP3_SERVER_LINES[kind]);
    this.#recorder.emit("S", { line, note });
  }
}

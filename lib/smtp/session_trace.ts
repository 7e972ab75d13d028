/**
 * `smtpmail --trace` for one session: every command and reply, the message
 * as its first header lines and size, state changes and TLS, each with its
 * annotation. The line functions are pure (line + state -> traced line);
 * `SmtpTrace` adds the session's number and the time and hands records on.
 * No I/O: the driver calls it, a `TraceSink` writes.
 *
 * @module
 */

import type { Line } from "../net/line_splitter.ts";
import { challengeText, describe, MASK } from "../trace/annotation.ts";
import { MessageGlance, type NotedLine } from "../trace/message.ts";
import type { SessionTraceOptions } from "../trace/sink.ts";
import { TraceRecorder } from "../trace/recorder.ts";
import {
  SMTP_CLIENT_LINES,
  SMTP_EVENTS,
  SMTP_SERVER_LINES,
  smtpCommandNote,
  smtpKeywordNote,
  smtpReplyNote,
  smtpStateNote,
} from "./annotations.ts";
import type { SmtpState } from "./rules.ts";

const REPLY_HEAD = /^(\d{3})[ -](?:([245]\.\d{1,3}\.\d{1,3})(?: |$))?/;
const decoder = new TextDecoder();

/**
 * A client's command line as traced: the line with any secret masked (the
 * initial response of `AUTH PLAIN ****`, every line answering a 334), and
 * its annotation.
 *
 * @param state the session's state when the line was read ("auth": it answers a 334)
 */
export function smtpClientLine(text: string, state: SmtpState): NotedLine {
  if (state === "auth") {
    return text === "*"
      ? { line: "*", note: describe("*", SMTP_CLIENT_LINES["SASL cancel"]) }
      : { line: MASK, note: describe("SASL response", SMTP_CLIENT_LINES["SASL response"]) };
  }
  const words = text.split(" ");
  const line = words[0].toUpperCase() === "AUTH" && words.length > 2 ? `${words[0]} ${words[1]} ${MASK}` : text;
  return { line, note: smtpCommandNote(words[0]) };
}

/**
 * A reply's lines as traced, each annotated: the first with its code and
 * enhanced status code (and the text a 334 challenge decodes to), the
 * others as EHLO keywords or continuation lines.
 *
 * @param text the reply as sent, CRLF line ends
 * @param answering the verb it answers, "." for the end of data, undefined for the greeting
 */
export function smtpReplyLines(text: string, answering?: string): NotedLine[] {
  const lines = text.split("\r\n").filter((line) => line !== "");
  return lines.map((line, i) => {
    if (i > 0) {
      const keyword = answering === "EHLO" ? smtpKeywordNote(line.slice(4)) : undefined;
      const fallback = answering === "EHLO" ? "unknown keyword" : "continued";
      return { line, note: keyword ?? describe(line.slice(0, 3), SMTP_SERVER_LINES[fallback]) };
    }
    const head = REPLY_HEAD.exec(line);
    if (head === null) return { line, note: smtpReplyNote(0) };
    const note = smtpReplyNote(Number(head[1]), head[2], answering);
    return { line, note: head[1] === "334" ? `${note}${challengeText(line.slice(4))}` : note };
  });
}

/** One SMTP session's trace. Every method records and returns; none throws into the session. */
export class SmtpTrace {
  readonly #recorder: TraceRecorder<keyof typeof SMTP_EVENTS>;
  #state: SmtpState | undefined;
  #answering: string | undefined;
  #message: MessageGlance | undefined;

  /** @param options the session's number and where records go */
  constructor(options: SessionTraceOptions) {
    this.#recorder = new TraceRecorder(options, "smtp", SMTP_EVENTS);
  }

  /** The connection is open: from where, and whether it runs under implicit TLS. */
  opened(clientAddress: string, implicitTls: boolean): void {
    this.#recorder.opened(clientAddress, implicitTls);
  }

  /** The client's side of a connection is open, to `serverAddress` (a client's own trace). */
  openedTo(serverAddress: string): void {
    this.#recorder.openedTo(serverAddress);
  }

  /** A command line, read in `state`. */
  command(line: Line, state: SmtpState): void {
    this.#recorder.guard(() => {
      if (line.tooLong) {
        this.#answering = undefined;
        return this.#recorder.emit("C", {
          line: "[line over the limit]",
          note: describe("line", SMTP_CLIENT_LINES["too long"]),
        });
      }
      const traced = smtpClientLine(decoder.decode(line.bytes), state);
      this.#answering = state === "auth" ? "AUTH" : traced.line.split(" ")[0].toUpperCase();
      this.#recorder.emit("C", traced);
    });
  }

  /** Bytes of the message in DATA; `ended` once its end marker was among them. */
  data(bytes: Uint8Array, ended: boolean): void {
    this.#recorder.guard(() => {
      this.#message ??= new MessageGlance();
      this.#message.add(bytes);
      if (!ended) return;
      // The bytes end with the end marker's ".\r\n", which is not part of the message.
      this.#showMessage(this.#message.size - 3);
      this.#recorder.emit("C", { line: ".", note: describe("end of data", SMTP_CLIENT_LINES["end of data"]) });
      this.#message = undefined;
      this.#answering = ".";
    });
  }

  /** One reply as sent (CRLF line ends, one or more lines). */
  reply(text: string): void {
    this.#recorder.guard(() => {
      for (const line of smtpReplyLines(text, this.#answering)) this.#recorder.emit("S", line);
    });
  }

  /** The session's state after a step; recorded when it changed. */
  state(state: SmtpState): void {
    this.#recorder.guard(() => {
      if (state === this.#state) return;
      this.#state = state;
      this.#recorder.emit("-", smtpStateNote(state));
    });
  }

  /** The TLS handshake after STARTTLS: done, or why it failed. */
  tls(failure: string | undefined): void {
    this.#recorder.guard(() => {
      if (failure === undefined) this.#recorder.event("TLS started", "TLS started");
      else this.#recorder.event("TLS failed", `TLS handshake failed: ${failure}`);
    });
  }

  /** The connection is closed; a message under way was cut short. */
  closed(): void {
    this.#recorder.guard(() => {
      if (this.#message !== undefined) {
        this.#showMessage(this.#message.size);
        this.#recorder.event("cut short", "message cut short");
        this.#message = undefined;
      }
      this.#recorder.event("closed", "connection closed");
    });
  }

  #showMessage(size: number): void {
    const note = describe("message", SMTP_CLIENT_LINES.message);
    for (const line of this.#message!.lines(size, note)) this.#recorder.emit("C", line);
  }
}

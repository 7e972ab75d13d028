/**
 * How a trace shows a message (SMTP DATA, POP3 RETR and TOP): its first
 * header lines, each annotated, and its size, never the whole of it. Pure:
 * bytes in, lines out.
 *
 * @module
 */

import { type Annotation, describe } from "./annotation.ts";
import { concatBytes } from "../bytes.ts";

/** The most header lines a trace shows of one message. */
export const SHOWN_HEADER_LINES = 5;

/** Octets of a message's beginning kept to find its first header lines. */
const HEAD_BYTES = 4096;

/** Characters of a header line shown; a longer one is cut and ends in "…". */
const SHOWN_LINE = 100;

/** A field name and its colon (RFC 5322 2.2: printable ASCII but the colon). */
const FIELD = /^([\x21-\x39\x3b-\x7e]+):/;

/** The header fields a trace explains (RFC 5322 3.6, RFC 5321 4.4, RFC 2045), keyed by lower-case name. */
export const HEADER_FIELDS: Readonly<Record<string, Annotation>> = {
  from: { ref: "RFC 5322 3.6.2", meaning: "the author of the message" },
  sender: { ref: "RFC 5322 3.6.2", meaning: "who sent the message on the author's behalf" },
  "reply-to": { ref: "RFC 5322 3.6.2", meaning: "where replies should go" },
  to: { ref: "RFC 5322 3.6.3", meaning: "the primary recipients" },
  cc: { ref: "RFC 5322 3.6.3", meaning: "other recipients, shown to all" },
  bcc: { ref: "RFC 5322 3.6.3", meaning: "recipients not shown to the others" },
  subject: { ref: "RFC 5322 3.6.5", meaning: "the topic of the message" },
  date: { ref: "RFC 5322 3.6.1", meaning: "when the message was written" },
  "message-id": { ref: "RFC 5322 3.6.4", meaning: "the message's unique identifier" },
  "in-reply-to": { ref: "RFC 5322 3.6.4", meaning: "the message this one answers" },
  references: { ref: "RFC 5322 3.6.4", meaning: "the thread this message belongs to" },
  received: { ref: "RFC 5321 4.4", meaning: "trace field: a server that took the message, and when" },
  "return-path": { ref: "RFC 5321 4.4", meaning: "the envelope sender, added at final delivery" },
  "mime-version": { ref: "RFC 2045 4", meaning: "the message is in MIME form" },
  "content-type": { ref: "RFC 2045 5", meaning: "the kind of content: text, multipart, an image" },
  "content-transfer-encoding": { ref: "RFC 2045 6", meaning: "how the content is encoded for 7-bit transport" },
};

/** Any other header field, and a folded line continuing the one before. */
export const OTHER_HEADER_LINES: Readonly<Record<"field" | "continued", Annotation>> = {
  field: { ref: "RFC 5322 2.2", meaning: "a header field: name, colon, value" },
  continued: { ref: "RFC 5322 2.2.3", meaning: "the field above, continued on a folded line" },
};

/**
 * The note of one header line: the field's meaning where `HEADER_FIELDS`
 * has it, else a generic one; a line beginning with white space is a fold.
 */
export function headerNote(line: string): string {
  if (line.startsWith(" ") || line.startsWith("\t")) return describe("folded line", OTHER_HEADER_LINES.continued);
  const name = FIELD.exec(line)?.[1] ?? "";
  return describe(name, HEADER_FIELDS[name.toLowerCase()] ?? OTHER_HEADER_LINES.field);
}

/** A trace line: the text as sent and its note. */
export interface NotedLine {
  /** The text shown. */
  line: string;
  /** Its annotation. */
  note: string;
}

const decoder = new TextDecoder();

/**
 * Watches one message go by: keeps its first few kilobytes, counts all of
 * it, and gives the lines a trace shows for it.
 */
export class MessageGlance {
  #head: Uint8Array[] = [];
  #kept = 0;
  /** Octets seen so far. */
  size = 0;

  /** Takes the next bytes of the message, as sent (dot-stuffed, CRLF line ends). */
  add(bytes: Uint8Array): void {
    this.size += bytes.length;
    if (this.#kept >= HEAD_BYTES) return;
    const part = bytes.slice(0, HEAD_BYTES - this.#kept);
    this.#head.push(part);
    this.#kept += part.length;
  }

  /**
   * The lines a trace shows: up to `SHOWN_HEADER_LINES` complete header
   * lines from the top, stopping at the first line that is not one (the body
   * is never shown), then one line with the size.
   *
   * @param size the message's size to report (the bytes seen, less an end marker the caller counted in)
   * @param sizeNote the note of the size line
   */
  lines(size: number, sizeNote: string): NotedLine[] {
    const text = decoder.decode(concatBytes(this.#head));
    const complete = text.split(/\r?\n/).slice(0, -1);
    const shown: NotedLine[] = [];
    for (const line of complete) {
      if (shown.length === SHOWN_HEADER_LINES) break;
      const folded = (line.startsWith(" ") || line.startsWith("\t")) && shown.length > 0;
      if (!folded && !FIELD.test(line)) break;
      const cut = line.length > SHOWN_LINE ? `${line.slice(0, SHOWN_LINE)}…` : line;
      shown.push({ line: cut, note: headerNote(line) });
    }
    const what = shown.length === 0 ? "no header lines shown" : "only its first header lines shown";
    return [...shown, { line: `[message: ${size} bytes; ${what}]`, note: sizeNote }];
  }
}

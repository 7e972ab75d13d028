/**
 * A walk through a message's MIME structure (RFC 2045, RFC 2046 §5.1) as
 * its octets stream by, for messages too large to decode whole: it finds
 * the attachments, measures them, and decodes one of them on the way,
 * holding only a line's worth of octets and the boundaries of the
 * multiparts it is in.
 *
 * @module
 */

import { type PartDecoder, partDecoder } from "./part_decoders.ts";
import type { AttachmentInfo } from "./attachment_info.ts";

/** The longest line kept whole: longer ones can be no header worth reading, nor a boundary, and pass as content. */
const MAX_LINE = 4096;
/** The most octets of one part's header block read. */
const MAX_HEADER = 64 * 1024;
/** The deepest nesting of multiparts followed, as the client's decoder (`mime_scan.ts`) allows. */
const MAX_DEPTH = 50;

const latin1 = new TextDecoder("latin1");

/** What the walk reports. */
export interface WalkHandlers {
  /** An attachment's header block has been read: its size is not known yet (0). */
  onStart?(info: AttachmentInfo): void;
  /** An attachment has ended, with its size. */
  onEnd?(info: AttachmentInfo): void;
  /** The attachment whose octets to give out, by number. */
  want?: number;
  /** Receives the wanted attachment's decoded octets. */
  emit?(bytes: Uint8Array): void;
  /** Receives the decoded octets of the text parts (text/*, not attachments), when given. */
  onText?(bytes: Uint8Array): void;
}

interface Leaf {
  info?: AttachmentInfo;
  decoder?: PartDecoder;
  /** A line break is due before the next content: it belongs to the content unless a delimiter follows. */
  pendingBreak: boolean;
}

/** Walks one message; feed it with `push`, then call `end`. */
export class MimeWalk {
  #handlers: WalkHandlers;
  #boundaries: string[] = [];
  #state: "header" | "body" | "skip" = "header";
  #header = "";
  #leaf: Leaf | undefined;
  #count = 0;
  /** The unfinished line, while it is short enough to be kept. */
  #line: Uint8Array[] = [];
  #lineLength = 0;
  /** True while the current line has grown too long and passes as content. */
  #long = false;
  /** A CR that ended the last piece of a long line, held back: it may begin the line's CRLF. */
  #heldCr = false;

  /** @param handlers what to report, and which attachment to give out */
  constructor(handlers: WalkHandlers) {
    this.#handlers = handlers;
  }

  /** Attachments found so far. */
  get count(): number {
    return this.#count;
  }

  /** Takes the next octets of the message. */
  push(chunk: Uint8Array): void {
    let start = 0;
    for (let lf = chunk.indexOf(0x0a); lf >= 0; lf = chunk.indexOf(0x0a, start)) {
      this.#piece(chunk.subarray(start, lf + 1), true);
      start = lf + 1;
    }
    if (start < chunk.length) this.#piece(chunk.subarray(start), false);
  }

  /** Ends the message: the open part ends with it. */
  end(): void {
    if (this.#lineLength > 0) this.#lineDone(this.#joined());
    this.#endLeaf();
  }

  /** A piece of a line, `ended` when it holds the line's LF. */
  #piece(piece: Uint8Array, ended: boolean): void {
    if (this.#long) return this.#longPiece(piece, ended);
    // A whole line within one chunk, the common case, needs no copy (the chunks are the reader's).
    if (ended && this.#lineLength === 0 && piece.length <= MAX_LINE) return this.#lineDone(piece);
    if (!ended && this.#lineLength + piece.length > MAX_LINE) {
      this.#long = true;
      this.#content(this.#joined(), false, true);
      return this.#longPiece(piece, false);
    }
    this.#line.push(piece.slice());
    this.#lineLength += piece.length;
    if (ended) this.#lineDone(this.#joined());
  }

  /** A piece of a line too long to keep: content, but for a last CR, held until it is known whether an LF follows. */
  #longPiece(piece: Uint8Array, ended: boolean): void {
    const bytes = this.#heldCr ? new Uint8Array([0x0d, ...piece]) : piece;
    this.#heldCr = !ended && bytes.at(-1) === 0x0d;
    this.#content(this.#heldCr ? bytes.subarray(0, -1) : bytes, ended);
    if (ended) this.#long = false;
  }

  /** The kept pieces of the line as one array; the line is empty afterwards. */
  #joined(): Uint8Array {
    const line = new Uint8Array(this.#lineLength);
    let at = 0;
    for (const part of this.#line) {
      line.set(part, at);
      at += part.length;
    }
    this.#line = [];
    this.#lineLength = 0;
    return line;
  }

  /** A whole line (with its line end, if any). */
  #lineDone(line: Uint8Array): void {
    if (this.#state === "header") return this.#headerLine(line);
    const delimiter = this.#delimiter(line);
    if (delimiter === undefined) return this.#content(line, true, true);
    this.#endLeaf();
    this.#boundaries.length = delimiter.depth + 1;
    if (delimiter.close) {
      this.#boundaries.pop();
      this.#state = "skip";
    } else {
      this.#state = "header";
      this.#header = "";
    }
  }

  /** Which open boundary the line is a delimiter of (innermost first), and whether it closes its multipart. */
  #delimiter(line: Uint8Array): { depth: number; close: boolean } | undefined {
    if (line[0] !== 0x2d || line[1] !== 0x2d || this.#boundaries.length === 0) return undefined;
    const text = latin1.decode(line).replace(/[ \t\r\n]+$/, "");
    for (let depth = this.#boundaries.length - 1; depth >= 0; depth--) {
      const b = this.#boundaries[depth];
      if (text === `--${b}`) return { depth, close: false };
      if (text === `--${b}--`) return { depth, close: true };
    }
    return undefined;
  }

  /** Content of the current part, for its decoder: an attachment's (counted, and given out when wanted) or a text's. */
  #content(bytes: Uint8Array, ended: boolean, lineStart = false): void {
    const leaf = this.#leaf;
    if (this.#state !== "body" || leaf?.decoder === undefined) return;
    const body = ended ? bytes.subarray(0, bytes.length - (bytes.at(-2) === 0x0d ? 2 : 1)) : bytes;
    if (lineStart && leaf.pendingBreak) leaf.decoder.newline();
    if (lineStart || ended) leaf.pendingBreak = false;
    leaf.decoder.data(body);
    if (ended) leaf.pendingBreak = true;
  }

  #headerLine(line: Uint8Array): void {
    const text = latin1.decode(line).replace(/\r?\n$/, "");
    if (text !== "") {
      if (this.#header.length < MAX_HEADER) {
        this.#header += text.startsWith(" ") || text.startsWith("\t") ? text : `\n${text}`;
      }
      return;
    }
    const fields = headerFields(this.#header);
    const type = fields.get("content-type") ?? "text/plain";
    const boundary = parameter(type, "boundary");
    if (/^multipart\//i.test(type) && boundary !== undefined && this.#boundaries.length < MAX_DEPTH) {
      this.#boundaries.push(boundary);
      this.#state = "skip";
      return;
    }
    this.#state = "body";
    this.#leaf = { pendingBreak: false };
    const encoding = fields.get("content-transfer-encoding") ?? "";
    const info = attachmentOf(fields, this.#count);
    if (info === undefined) {
      const onText = this.#handlers.onText;
      if (onText !== undefined && /^\s*text\//i.test(type)) this.#leaf.decoder = partDecoder(encoding, onText);
      return;
    }
    this.#count++;
    let size = 0;
    const wanted = this.#handlers.want === info.index;
    this.#leaf.info = info;
    this.#leaf.decoder = partDecoder(encoding, (bytes) => {
      size += bytes.length;
      info.size = size;
      if (wanted) this.#handlers.emit?.(bytes);
    });
    this.#handlers.onStart?.(info);
  }

  #endLeaf(): void {
    const leaf = this.#leaf;
    this.#leaf = undefined;
    leaf?.decoder?.end();
    if (leaf?.info !== undefined) this.#handlers.onEnd?.(leaf.info);
  }
}

/** The header block's fields by lower-case name, first of each, unfolded. */
function headerFields(header: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of header.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

/** A parameter of a structured field (RFC 2045 §5.1), quoted or not, or RFC 2231's `name*=charset''value`. */
function parameter(field: string, name: string): string | undefined {
  const extended = new RegExp(`;\\s*${name}\\*=([^']*)'[^']*'([^;\\s]+)`, "i").exec(field);
  if (extended) {
    try {
      return decodeURIComponent(extended[2]);
    } catch {
      return extended[2];
    }
  }
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, "i").exec(field);
  return m ? (m[1]?.replace(/\\(.)/g, "$1") ?? m[2]) : undefined;
}

/**
 * The part as an attachment, or undefined when it is the message's text:
 * as for postal-mime, a part is an attachment when its disposition says so
 * or it is neither text nor a message.
 */
function attachmentOf(fields: Map<string, string>, index: number): AttachmentInfo | undefined {
  const type = fields.get("content-type") ?? "text/plain";
  const disposition = fields.get("content-disposition") ?? "";
  const filename = parameter(disposition, "filename") ?? parameter(type, "name") ?? null;
  const kind = /^\s*([\w.+-]+\/[\w.+-]+)/.exec(type)?.[1].toLowerCase() ?? "text/plain";
  const dispositionType = /^\s*(\w+)/.exec(disposition)?.[1].toLowerCase() ?? null;
  const attached = dispositionType === "attachment" || !/^(text|message)\//.test(kind);
  if (!attached) return undefined;
  const contentId = fields.get("content-id")?.replace(/^<|>$/g, "") ?? null;
  return { index, filename, contentType: kind, size: 0, disposition: dispositionType, contentId };
}

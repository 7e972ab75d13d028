/**
 * Shows one mail readably: From, To, Subject and the received time, then
 * the body. MIME is decoded with postal-mime: RFC 2047 encoded words,
 * quoted-printable and base64 parts in their charset, and of a multipart
 * message the text part, with its attachments listed by name and size.
 *
 * @module
 */

import PostalMime, { type Address, type Attachment, type Email } from "postal-mime";
import type { ScreenSize } from "./io.ts";
import { formatReceived, receivedDate } from "./mail_date.ts";
import { mimeRisk } from "./mime_scan.ts";
import { printableLine, printableText } from "./printable.ts";
import { formatSender, parseSender } from "./sender.ts";
import { cutToWidth } from "./width.ts";

/** How to render a mail. */
export interface RenderOptions {
  /** The zone to show the received time in; the local zone when left out. */
  timeZone?: string;
  /** The terminal's size: how much raw text of a mail that cannot be decoded is shown. 80 x 24 when left out. */
  screen?: ScreenSize;
}

/** The most header octets read from a mail that is not decoded whole. */
const MAX_HEADER = 64 * 1024;
const DEFAULT_SCREEN: ScreenSize = { columns: 80, rows: 24 };

/**
 * Renders a whole message (as RETR returns it) for the terminal. A message
 * that is too intricate to decode safely (see `mimeRisk`), or that the
 * decoder refuses, is shown by `renderRaw`.
 *
 * @returns lines of text ending in "\n"
 */
export async function renderMail(raw: Uint8Array, options: RenderOptions = {}): Promise<string> {
  const risk = mimeRisk(raw);
  if (risk !== undefined) return await renderRaw(raw, risk, options);
  let email: Email;
  try {
    email = await PostalMime.parse(raw);
  } catch (error) {
    // postal-mime refuses extreme input (MIME nested over 256 deep, headers over 2 MiB).
    const why = error instanceof Error ? error.message : String(error);
    return await renderRaw(raw, `the decoder refused it (${why})`, options);
  }
  const lines = headerLines(email, options.timeZone);
  const body = printableText(email.text ?? htmlToText(email.html ?? "")).replace(/\n+$/, "");
  lines.push(body === "" ? "(no text)" : body);
  if (email.attachments.length > 0) {
    lines.push("", "Attachments:", ...email.attachments.map((a) => `  ${printableLine(describe(a))}`));
  }
  return lines.join("\n") + "\n";
}

/**
 * Renders a mail without decoding its body: its main header fields, a
 * one-line notice saying `why`, and its first screen of text as received,
 * each line cut to the screen's width. Only that much is ever decoded.
 *
 * @param raw the message, or its start (TOP)
 * @param why the reason, e.g. "it has more than 1,000 MIME parts"
 */
export async function renderRaw(raw: Uint8Array, why: string, options: RenderOptions = {}): Promise<string> {
  const { columns, rows } = options.screen ?? DEFAULT_SCREEN;
  const end = headerEnd(raw);
  let email: Email;
  try {
    email = await PostalMime.parse(raw.subarray(0, end));
  } catch {
    email = await PostalMime.parse(new Uint8Array(0));
  }
  const lines = headerLines(email, options.timeZone);
  lines.push(`(This mail cannot be decoded: ${printableLine(why)}. Its first lines follow as received.)`, "");
  const decoder = new TextDecoder();
  // One screen in all: the header lines, a notice of up to two lines, the gaps and the prompt take 11 rows.
  const shown = Math.max(3, rows - 11);
  for (let start = end, n = 0; start < raw.length && n < shown; n++) {
    const lf = raw.indexOf(0x0a, start);
    const stop = lf < 0 ? raw.length : lf;
    // A line can be any length: decode only what can be shown (4 octets a column at most).
    const text = decoder.decode(raw.subarray(start, Math.min(stop, start + columns * 4)));
    lines.push(cutToWidth(printableLine(text.replace(/\r$/, "")), columns));
    start = stop + 1;
  }
  return lines.join("\n") + "\n";
}

/** Where the header block ends: after its empty line, at most `MAX_HEADER` (64 KiB) octets in. */
export function headerEnd(raw: Uint8Array): number {
  const limit = Math.min(raw.length, MAX_HEADER);
  for (let i = raw.indexOf(0x0a); i >= 0 && i < limit; i = raw.indexOf(0x0a, i + 1)) {
    if (raw[i + 1] === 0x0a) return i + 2;
    if (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a) return i + 3;
  }
  return limit;
}

/** From, To, Subject and Received, then an empty line. The From address is read as sent (`sender.ts`). */
function headerLines(email: Email, timeZone: string | undefined): string[] {
  const received = receivedDate(email.headers);
  const from = email.headers.find((h) => h.key === "from")?.value;
  return [
    `From:     ${printableLine(from === undefined ? "" : formatSender(parseSender(from)))}`,
    `To:       ${printableLine(formatAddresses(email.to ?? []))}`,
    `Subject:  ${printableLine(email.subject ?? "")}`,
    `Received: ${received === undefined ? "-" : formatReceived(received, timeZone)}`,
    "",
  ];
}

/** Formats addresses as "Name <address>" (or the bare address), groups as "Name: members;". */
export function formatAddresses(addresses: readonly Address[]): string {
  return addresses.map((a) => {
    if (a.group !== undefined) return `${a.name}: ${formatAddresses(a.group)};`;
    return a.name === "" ? a.address : `${a.name} <${a.address}>`;
  }).join(", ");
}

/** "report.pdf (application/pdf, 12.3 KiB)". */
function describe(attachment: Attachment): string {
  const content = attachment.content;
  const octets = typeof content === "string" ? new TextEncoder().encode(content).length : content.byteLength;
  return `${attachment.filename ?? "(unnamed)"} (${attachment.mimeType}, ${formatSize(octets)})`;
}

/** A size in bytes, KiB or MiB. */
export function formatSize(octets: number): string {
  if (octets < 1024) return `${octets} byte${octets === 1 ? "" : "s"}`;
  if (octets < 1024 * 1024) return `${(octets / 1024).toFixed(1)} KiB`;
  return `${(octets / 1024 / 1024).toFixed(1)} MiB`;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/**
 * A rough plain-text view of an HTML body, for mail that has no text part:
 * scripts and styles dropped, block ends as line breaks, tags removed,
 * common entities decoded.
 */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, "")
    .replace(/\s*\n\s*/g, " ")
    .replace(/<br\s*\/?>|<\/(p|div|li|tr|h[1-6]|blockquote)\s*>/gi, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, name: string) => {
      if (name[0] !== "#") return ENTITIES[name.toLowerCase()] ?? all;
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    })
    .replace(/[ \t]*\n[ \t]*/g, "\n")
    .trim();
}

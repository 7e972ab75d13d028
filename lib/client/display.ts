/**
 * Shows one mail readably: From, To, Subject and the received time, then
 * the body. MIME is decoded with postal-mime: RFC 2047 encoded words,
 * quoted-printable and base64 parts in their charset, and of a multipart
 * message the text part, with its attachments listed by name and size.
 *
 * @module
 */

import PostalMime, { type Address, type Attachment, type Email } from "postal-mime";
import { formatReceived, receivedDate } from "./mail_date.ts";
import { printableLine, printableText } from "./printable.ts";

/**
 * Renders a whole message (as RETR returns it) for the terminal.
 *
 * @param timeZone the zone to show the received time in; the local zone when left out
 * @returns lines of text ending in "\n"
 */
export async function renderMail(raw: Uint8Array, timeZone?: string): Promise<string> {
  let email: Email;
  try {
    email = await PostalMime.parse(raw);
  } catch (error) {
    // postal-mime refuses extreme input (MIME nested over 256 deep, headers over 2 MiB): show it undecoded.
    const why = error instanceof Error ? error.message : String(error);
    return `(This mail cannot be decoded: ${printableLine(why)}. It follows as received.)\n\n` +
      `${printableText(new TextDecoder().decode(raw)).replace(/\n+$/, "")}\n`;
  }
  const received = receivedDate(email.headers);
  const lines = [
    `From:     ${printableLine(formatAddresses(email.from ? [email.from] : []))}`,
    `To:       ${printableLine(formatAddresses(email.to ?? []))}`,
    `Subject:  ${printableLine(email.subject ?? "")}`,
    `Received: ${received === undefined ? "-" : formatReceived(received, timeZone)}`,
    "",
  ];
  const body = printableText(email.text ?? htmlToText(email.html ?? "")).replace(/\n+$/, "");
  lines.push(body === "" ? "(no text)" : body);
  if (email.attachments.length > 0) {
    lines.push("", "Attachments:", ...email.attachments.map((a) => `  ${printableLine(describe(a))}`));
  }
  return lines.join("\n") + "\n";
}

/** Formats addresses as "Name <address>" (or the bare address), groups as "Name: members;". */
function formatAddresses(addresses: readonly Address[]): string {
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

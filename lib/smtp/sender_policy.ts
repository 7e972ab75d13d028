/**
 * What an authenticated SMTP session may send as: only its own address, in
 * the envelope (MAIL FROM) and in the message's `From:` header field. Pure.
 *
 * @module
 */

import { type Mailbox, parseMailbox } from "./address.ts";

/** Reads at most this much of a message when looking for its header block. */
const MAX_HEADER = 64 * 1024;

const decoder = new TextDecoder();

/**
 * True when `mailbox` is `user` at a local domain: the local part equal to
 * the user name ignoring case (user names match case-insensitively), the
 * domain one of ours. The null path and bare "postmaster" are not.
 */
export function isOwnAddress(
  user: string,
  mailbox: Mailbox | null,
  isLocalDomain: (domain: string) => boolean,
): boolean {
  if (mailbox === null || mailbox.domain === "") return false;
  return mailbox.local.toLowerCase() === user.toLowerCase() && isLocalDomain(mailbox.domain);
}

/**
 * Finds the one mailbox of the message's `From:` field (RFC 5322 §3.6.2).
 *
 * @param chunks the message in wire form (dot-stuffed, CRLF line ends)
 * @returns the mailbox, or why there is no single one: no `From:` field,
 *   more than one field or address, an address that does not parse, or a
 *   display name that shows readers another address
 *   (`DISPLAY_NAME_SHOWS_ADDRESS`)
 */
export function fromHeaderAddress(chunks: readonly Uint8Array[]): Mailbox | string {
  const values = headerFields(headerBlock(chunks), "from");
  if (values.length !== 1) return values.length === 0 ? NO_FROM : "more than one From: field";
  const value = stripComments(values[0]).trim();
  if (splitsOutsideQuotes(value, ",")) return "more than one address in From:";
  const angle = /<([^<>]*)>\s*$/.exec(value);
  const addrSpec = (angle ? angle[1] : value).trim();
  if (angle) {
    const name = shownName(value.slice(0, angle.index));
    if (name === undefined) return "invalid display name in From:";
    // Readers show the name: one with an address in it must be that address itself.
    if (name.includes("@") && name.toLowerCase() !== addrSpec.toLowerCase()) return DISPLAY_NAME_SHOWS_ADDRESS;
  }
  return parseMailbox(addrSpec);
}

/** Why `fromHeaderAddress` finds no mailbox in a message without a `From:` field. */
export const NO_FROM = "no From: field";

/** Why `fromHeaderAddress` refuses a display name that shows another address. */
export const DISPLAY_NAME_SHOWS_ADDRESS = "From: display name shows another address";

/** An RFC 2047 encoded word: charset (a language after "*" left out), "B" or "Q", the encoded text. */
const ENCODED_WORD = /=\?([^?*]+)(?:\*[^?]*)?\?([bq])\?([^?]*)\?=/gi;

/**
 * A display name (RFC 5322 §3.2.5 phrase) as a reader shows it: quoted
 * strings unquoted, encoded words (RFC 2047) decoded, white space folded;
 * undefined when a quoted string is left open.
 */
function shownName(phrase: string): string | undefined {
  let text = "";
  let quoted = false;
  for (let i = 0; i < phrase.length; i++) {
    const c = phrase[i];
    if (c === "\\" && quoted) text += phrase[++i] ?? "";
    else if (c === '"') quoted = !quoted;
    else text += c;
  }
  if (quoted) return undefined;
  return text.replace(ENCODED_WORD, decodeWord).replace(/\s+/g, " ").trim();
}

/** Decodes one encoded word; one that cannot be decoded stays as it is. */
function decodeWord(word: string, charset: string, encoding: string, data: string): string {
  const text = encoding.toUpperCase() === "B"
    ? atobOrNull(data)
    : data.replace(/_/g, " ").replace(/=([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  if (text === null) return word;
  try {
    return new TextDecoder(charset).decode(Uint8Array.from(text, (ch) => ch.charCodeAt(0)));
  } catch {
    return word;
  }
}

/** Base64 to a binary string, or null when it is not base64. */
function atobOrNull(data: string): string | null {
  try {
    return atob(data);
  } catch {
    return null;
  }
}

/** The header block's text: everything up to the first empty line. */
function headerBlock(chunks: readonly Uint8Array[]): string {
  let text = "";
  for (const chunk of chunks) {
    text += decoder.decode(chunk, { stream: true });
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) return text.slice(0, end + 2);
    if (text.startsWith("\r\n")) return "";
    if (text.length > MAX_HEADER) break;
  }
  return text;
}

/** The unfolded values of every field called `name` (lower case), in order. */
function headerFields(block: string, name: string): string[] {
  const values: string[] = [];
  let current: { name: string; value: string } | undefined;
  for (const raw of block.split("\r\n")) {
    if ((raw.startsWith(" ") || raw.startsWith("\t")) && current) {
      current.value += raw;
      continue;
    }
    if (current?.name === name) values.push(current.value);
    // A header line cannot begin with "." but a stuffed one would show as "..".
    const line = raw.startsWith(".") ? raw.slice(1) : raw;
    const colon = line.indexOf(":");
    current = colon < 0
      ? undefined
      : { name: line.slice(0, colon).trimEnd().toLowerCase(), value: line.slice(colon + 1) };
  }
  if (current?.name === name) values.push(current.value);
  return values;
}

/** Removes comments "(…)", nested ones included, outside quoted strings (RFC 5322 §3.2.2). */
function stripComments(value: string): string {
  let out = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === "\\" && (quoted || depth > 0)) {
      if (depth === 0) out += value.slice(i, i + 2);
      i++;
    } else if (c === '"' && depth === 0) {
      quoted = !quoted;
      out += c;
    } else if (c === "(" && !quoted) depth++;
    else if (c === ")" && !quoted && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out;
}

/** True when `separator` occurs outside quoted strings and angle brackets. */
function splitsOutsideQuotes(value: string, separator: string): boolean {
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === "\\" && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === "<") angle = true;
    else if (!quoted && c === ">") angle = false;
    else if (!quoted && !angle && c === separator) return true;
  }
  return false;
}

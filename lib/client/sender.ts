/**
 * The sender's address, read from the From field as it was sent. An
 * encoded word (RFC 2047) may only ever decode to display text, never to
 * an address: a display name whose encoded word decodes to control
 * characters, "<", "," or quotes must neither hide the address nor put
 * another in its place, as a decode-then-parse reading lets it.
 *
 * @module
 */

import { decodeWords } from "postal-mime";

/** An encoded word, RFC 2047 §2. */
const ENCODED_WORD = /=\?[^?\s]*\?[bq]\?[^?\s]*\?=/gi;
/** A bare addr-spec, loosely: no spaces, brackets, commas or quotes around an "@". */
const BARE_ADDRESS = /[^\s<>,;:"()]+@[^\s<>,;:"()]+/;

/** A From field taken apart: the decoded display name (maybe "") and the address (maybe ""). */
export interface Sender {
  /** The display name, RFC 2047 encoded words decoded. */
  name: string;
  /** The address as sent. */
  address: string;
}

/**
 * Reads a From field's value (unfolded, not decoded): the address is the
 * last angle-bracketed one outside encoded words, else the first bare one;
 * the name is what comes before the angle bracket, decoded and unquoted.
 * Of a group or a list, the first address.
 */
export function parseSender(value: string): Sender {
  const plain = value.replace(ENCODED_WORD, (word) => " ".repeat(word.length));
  const open = plain.indexOf("<");
  const close = open < 0 ? -1 : plain.indexOf(">", open);
  if (open >= 0 && close > open) {
    return { name: displayName(value.slice(0, open)), address: plain.slice(open + 1, close).trim() };
  }
  const bare = BARE_ADDRESS.exec(plain);
  return { name: "", address: bare === null ? "" : bare[0] };
}

/** Decodes a display name: encoded words, surrounding quotes and quoted pairs. */
function displayName(raw: string): string {
  let name = raw.trim();
  const group = name.indexOf(":");
  if (group >= 0 && !name.slice(0, group).includes('"')) name = name.slice(group + 1).trim();
  if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) name = name.slice(1, -1).replace(/\\(.)/g, "$1");
  try {
    return decodeWords(name).replace(/^[ \t]+|[ \t]+$/g, "");
  } catch {
    // An encoded word in a charset the decoder does not know stays as it was sent.
    return name;
  }
}

/** Shows a sender as "Name <address>", the bare address when there is no name, or "" for neither. */
export function formatSender(sender: Sender): string {
  if (sender.name === "") return sender.address;
  return `${sender.name} <${sender.address}>`;
}

/**
 * Key presses as a terminal sends them in cbreak mode: one UTF-8 character,
 * or an escape sequence for an arrow, paging or function key, named here.
 *
 * @module
 */

const ESC = 0x1b;

/** The names given to the escape sequences of the keys the client uses. */
const NAMED: Record<string, string> = {
  "\x1b[A": "Up",
  "\x1b[B": "Down",
  "\x1bOA": "Up",
  "\x1bOB": "Down",
  "\x1b[5~": "PageUp",
  "\x1b[6~": "PageDown",
  "\x1b[H": "Home",
  "\x1b[F": "End",
  "\x1bOH": "Home",
  "\x1bOF": "End",
  "\x1b[1~": "Home",
  "\x1b[4~": "End",
};

/**
 * Octets of the first key in `bytes`: one UTF-8 character, or an escape
 * sequence as function and arrow keys send them (ESC "[" … final octet,
 * ESC "O" and one more); any other ESC is a key by itself.
 */
export function keyLength(bytes: Uint8Array): number {
  if (bytes[0] !== ESC) return utf8Length(bytes[0]);
  if (bytes[1] === 0x4f) return 3;
  if (bytes[1] !== 0x5b) return 1;
  for (let i = 2; i < bytes.length; i++) if (bytes[i] >= 0x40 && bytes[i] <= 0x7e) return i + 1;
  return bytes.length;
}

/**
 * The key that `text` (one key's octets, decoded) stands for: "Up", "Down",
 * "PageUp", "PageDown", "Home" or "End" for those keys, ESC for another
 * escape sequence, else its first character.
 */
export function keyName(text: string): string {
  return NAMED[text] ?? [...text][0] ?? "";
}

/** The length of a UTF-8 sequence from its first octet (1 for a stray continuation octet). */
export function utf8Length(first: number): number {
  if (first >= 0xf0) return 4;
  if (first >= 0xe0) return 3;
  return first >= 0xc0 ? 2 : 1;
}

/** Removes the last UTF-8 encoded character from `bytes`; returns it as text ("" when there was none). */
export function dropLastCharacter(bytes: number[]): string {
  let start = bytes.length;
  while (start > 0 && (bytes[start - 1] & 0xc0) === 0x80) start--;
  if (start > 0) start--;
  return new TextDecoder().decode(new Uint8Array(bytes.splice(start)));
}

/** Keys that turn a page forward (1) or back (-1), the same in the list and in a mail. */
export const PAGE_STEPS: ReadonlyMap<string, number> = new Map([
  ["n", 1],
  [" ", 1],
  ["PageDown", 1],
  ["Down", 1],
  ["p", -1],
  ["b", -1],
  ["PageUp", -1],
  ["Up", -1],
]);

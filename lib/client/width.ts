/**
 * How many terminal columns text takes, as terminals draw it (the rules of
 * Markus Kuhn's wcwidth): combining marks and zero-width characters take
 * none, East Asian wide and fullwidth characters and emoji take two, the
 * rest one. Text passed here is already printable (`printable.ts`).
 *
 * @module
 */

/** Code point ranges drawn two columns wide (East Asian Wide and Fullwidth, emoji), sorted. */
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x23f0, 0x23f0],
  [0x23f3, 0x23f3],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x267f, 0x267f],
  [0x2693, 0x2693],
  [0x26a1, 0x26a1],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26ce, 0x26ce],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f3],
  [0x26f5, 0x26f5],
  [0x26fa, 0x26fa],
  [0x26fd, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x274e, 0x274e],
  [0x2753, 0x2755],
  [0x2757, 0x2757],
  [0x2795, 0x2797],
  [0x27b0, 0x27b0],
  [0x27bf, 0x27bf],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b50],
  [0x2b55, 0x2b55],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff],
  [0x1b000, 0x1b2ff],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\u1160-\u11ff\u200b]$/u;

/** Columns taken by one code point: 0, 1 or 2. */
export function charWidth(char: string): number {
  const cp = char.codePointAt(0)!;
  if (cp < 0x300) return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ? 0 : 1;
  if (ZERO_WIDTH.test(char)) return 0;
  let low = 0;
  let high = WIDE.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (cp < WIDE[mid][0]) high = mid - 1;
    else if (cp > WIDE[mid][1]) low = mid + 1;
    else return 2;
  }
  return 1;
}

/** Columns taken by `text`. */
export function textWidth(text: string): number {
  let width = 0;
  for (const char of text) width += charWidth(char);
  return width;
}

/**
 * Cuts `text` to at most `columns` columns; a wide character that would
 * straddle the edge is left out, combining marks stay with their base.
 */
export function cutToWidth(text: string, columns: number): string {
  let width = 0;
  let end = 0;
  for (const char of text) {
    const w = charWidth(char);
    if (width + w > columns) break;
    width += w;
    end += char.length;
  }
  return text.slice(0, end);
}

/** Splits one line into pieces of at most `columns` columns each (at least one piece). */
export function wrapToWidth(text: string, columns: number): string[] {
  if (text === "") return [""];
  const pieces: string[] = [];
  let rest = text;
  do {
    let piece = cutToWidth(rest, Math.max(1, columns));
    // A character wider than the screen still has to go somewhere.
    if (piece === "") piece = String.fromCodePoint(rest.codePointAt(0)!);
    pieces.push(piece);
    rest = rest.slice(piece.length);
  } while (rest !== "");
  return pieces;
}

/** Pads `text` with spaces to `columns` columns. */
export function padToWidth(text: string, columns: number): string {
  return text + " ".repeat(Math.max(0, columns - textWidth(text)));
}

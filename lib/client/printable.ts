/**
 * Mail text is untrusted: before it reaches the terminal, control
 * characters (escape sequences above all) and Unicode format and separator
 * characters (bidirectional overrides such as U+202E, zero-width
 * characters, U+2028 and U+2029) are replaced by a visible mark, so a
 * message cannot move the cursor, retitle the window, reorder or hide text.
 *
 * @module
 */

/** The visible replacement for a control, format or line/paragraph separator character. */
const REPLACEMENT = "\uFFFD";

/** Makes one line safe to print: a tab becomes a space, any other control or format character is replaced. */
export function printableLine(text: string): string {
  return text.replace(/\t/g, " ").replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, REPLACEMENT);
}

/** Makes text safe to print keeping its lines: CRLF and CR become LF, tabs stay, other controls are replaced. */
export function printableText(text: string): string {
  return text.replace(/\r\n?/g, "\n").replace(/[^\P{Cc}\n\t]|[\p{Cf}\p{Zl}\p{Zp}]/gu, REPLACEMENT);
}

/**
 * Mail text is untrusted: before it reaches the terminal, control
 * characters (escape sequences above all) are replaced, so a message cannot
 * move the cursor, retitle the window or hide text.
 *
 * @module
 */

/** The replacement for a control character. */
const REPLACEMENT = "\uFFFD";

/** Makes one line safe to print: a tab becomes a space, any other control character is replaced. */
export function printableLine(text: string): string {
  return text.replace(/\t/g, " ").replace(/[\p{Cc}]/gu, REPLACEMENT);
}

/** Makes text safe to print keeping its lines: CRLF and CR become LF, tabs stay, other controls are replaced. */
export function printableText(text: string): string {
  return text.replace(/\r\n?/g, "\n").replace(/[^\P{Cc}\n\t]/gu, REPLACEMENT);
}

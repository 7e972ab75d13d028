/**
 * The two encodings the client needs when a server cannot take 8-bit
 * text: RFC 2047 encoded words for a header, quoted-printable for the body.
 *
 * @module
 */

const encoder = new TextEncoder();

/** True when `text` is plain ASCII, which any SMTP server takes as it is. */
export function isAscii(text: string): boolean {
  return !/[^\p{ASCII}]/u.test(text);
}

/** Most UTF-8 octets in one encoded word: 60 base64 characters keep it within 75 (RFC 2047 §2). */
const WORD_OCTETS = 45;

/**
 * Encodes header text as RFC 2047 "B" encoded words in UTF-8, one word per
 * returned string, never splitting a character between words (§5 rule 3).
 */
export function encodeWords(text: string): string[] {
  const words: string[] = [];
  let chunk: number[] = [];
  for (const char of text) {
    const bytes = encoder.encode(char);
    if (chunk.length + bytes.length > WORD_OCTETS) {
      words.push(word(chunk));
      chunk = [];
    }
    chunk.push(...bytes);
  }
  if (chunk.length > 0 || words.length === 0) words.push(word(chunk));
  return words;
}

function word(bytes: number[]): string {
  return `=?UTF-8?B?${btoa(String.fromCharCode(...bytes))}?=`;
}

/** Longest encoded line before a soft line break, "=" excluded (RFC 2045 §6.7 rule 5: 76 with it). */
const QP_LINE = 75;

/**
 * Encodes text lines as quoted-printable (RFC 2045 §6.7) in UTF-8. Each
 * input line ends in a hard line break; long ones are split with soft
 * breaks ("=" at the end of a line).
 *
 * @returns the encoded lines, without line ends
 */
export function encodeQuotedPrintable(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const bytes = encoder.encode(line);
    let current = "";
    bytes.forEach((b, i) => {
      const last = i === bytes.length - 1;
      const literal = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
      const token = literal ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, "0")}`;
      if (current.length + token.length > QP_LINE) {
        out.push(`${current}=`);
        current = "";
      }
      current += token;
    });
    out.push(current);
  }
  return out;
}

/**
 * Reading SMTP replies as the checker must: strictly, line by line,
 * checking the syntax RFC 5321 4.2 and 4.2.1 require of each. Pure.
 *
 * @module
 */

/** One whole reply. */
export interface CheckedReply {
  /** The three-digit code of its lines. */
  code: number;
  /** Every line as received. */
  lines: string[];
}

/** A reply line: three digits, then space, hyphen or the end (RFC 5321 4.2). */
const REPLY_LINE = /^([2-5][0-5]\d)([ -]|$)/;

/**
 * What is wrong with the lines of one reply, if anything: each must start
 * with the same code of 2yz-5yz, and all but the last carry "-" after it
 * (RFC 5321 4.2.1: multi-line replies).
 *
 * @param lines the reply's lines without line ends, the last one ending it
 * @returns a sentence saying what is wrong, or undefined when the reply is well formed
 */
export function replySyntaxError(lines: readonly string[]): string | undefined {
  const first = REPLY_LINE.exec(lines[0] ?? "");
  if (first === null) return `"${lines[0]}" does not begin with a reply code 2yz-5yz and a space or "-"`;
  for (const [i, line] of lines.entries()) {
    const m = REPLY_LINE.exec(line);
    if (m === null || m[1] !== first[1]) return `line ${i + 1} of a ${first[1]} reply is "${line}"`;
    const last = i === lines.length - 1;
    if (last && m[2] === "-") return `the reply's last line "${line}" has "-" after its code`;
    if (!last && m[2] !== "-") return `line ${i + 1} "${line}" has no "-" after its code, yet more lines followed`;
  }
  return undefined;
}

/** True when `line` ends a reply: a code and a space, or a code alone. */
export function endsReply(line: string): boolean {
  return line.length < 4 || line[3] !== "-";
}

/**
 * The extension keywords of an EHLO reply (RFC 5321 4.1.1.1), upper case,
 * each with its parameters.
 */
export function ehloKeywords(reply: CheckedReply): Map<string, string[]> {
  return new Map(
    reply.lines.slice(1).map((line) => {
      const [keyword, ...params] = line.slice(4).trim().split(/\s+/);
      return [keyword.toUpperCase(), params];
    }),
  );
}

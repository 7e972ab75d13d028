/**
 * Reading one mail in Manage Mail. Written to a pipe, the whole mail, then
 * one key. On a terminal, a screen at a time when it is longer than one,
 * with keys for the next and previous page; long lines wrap at the
 * terminal's width. A mail larger than `MAX_FETCH` is not fetched whole:
 * its top is shown, as a mail that cannot be decoded is.
 *
 * @module
 */

import { formatSize, renderMail, renderRaw } from "./display.ts";
import type { Input, Output, ScreenSize } from "./io.ts";
import { PAGE_STEPS } from "./keys.ts";
import type { Pop3Client } from "./pop3_client.ts";
import { textWidth, wrapToWidth } from "./width.ts";

/** The largest mail fetched whole (RETR); of a larger one only the top (TOP) is read. */
export const MAX_FETCH = 32 * 1024 * 1024;
/** The prompt after a mail. */
export const AFTER_READING = "Press q to quit, d to delete this mail, or any other key to see the list again: ";

/** What reading a mail needs. */
export interface MailViewContext {
  /** The keyboard. */
  input: Input;
  /** The screen. */
  output: Output;
  /** The zone to show times in. */
  timeZone?: string;
}

/**
 * Fetches and shows message `msg`, then reads the key that says what next.
 *
 * @returns the key pressed after reading (not a page key), or `null` at the end of input
 * @throws {ClientError} when the session fails
 */
export async function readMail(client: Pop3Client, msg: number, ctx: MailViewContext): Promise<string | null> {
  const screen = ctx.output.size?.();
  const options = { timeZone: ctx.timeZone, screen };
  const size = await client.size(msg);
  const text = size > MAX_FETCH
    ? await renderRaw(await client.top(msg, screen?.rows ?? 24), `it is too large (${formatSize(size)})`, options)
    : await renderMail(await client.retrieve(msg, size), options);
  if (screen === undefined) {
    ctx.output.write(`\n${text}\n`);
    return await ctx.input.readKey(AFTER_READING);
  }
  const lines = text.replace(/\n$/, "").split("\n").flatMap((line) => wrapToWidth(line, screen.columns));
  if (lines.length + 2 <= screen.rows) {
    ctx.output.write(`\n${lines.join("\n")}\n\n`);
    return await ctx.input.readKey(AFTER_READING);
  }
  return await pageThrough(lines, screen, ctx);
}

/** Shows `lines` a screen at a time until a key other than a page key is pressed. */
async function pageThrough(lines: readonly string[], screen: ScreenSize, ctx: MailViewContext): Promise<string | null> {
  const perPage = Math.max(1, screen.rows - 1);
  const pages = Math.ceil(lines.length / perPage);
  for (let page = 0;;) {
    const first = page * perPage;
    const shown = lines.slice(first, first + perPage);
    ctx.output.write(`${shown.join("\n")}\n${"\n".repeat(perPage - shown.length)}`);
    const key = await ctx.input.readKey(mailPrompt(first + 1, first + shown.length, lines.length, screen.columns));
    const step = key === null ? undefined : PAGE_STEPS.get(key);
    // Past the last page, the next-page key goes back to the list, as any other key does.
    if (step === undefined || page + step >= pages) return key;
    page = Math.max(0, page + step);
  }
}

/** The prompt under a page of a mail, as long as fits on one line of the terminal. */
function mailPrompt(first: number, last: number, total: number, columns: number): string {
  const where = `Lines ${first}-${last} of ${total}.`;
  const long = `${where} n: next page, p: previous; q quit, d delete, other key: the list: `;
  if (textWidth(long) < columns) return long;
  const short = `${where} n/p: page, q, d, other: list: `;
  return textWidth(short) < columns ? short : `${first}-${last}/${total} n/p/q/d: `;
}

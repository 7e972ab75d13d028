/**
 * The Manage Mail list and the choice of a mail. Written to a pipe or a
 * file, the whole list at once, as the assignment shows it. On a terminal,
 * a screen at a time: keys move between pages, a serial number and Enter
 * opens any mail, and only the headers of the mails on the screen are
 * fetched, so memory and the time to the first screen do not grow with the
 * mailbox.
 *
 * @module
 */

import type { Input, Output, ScreenSize } from "./io.ts";
import { PAGE_STEPS } from "./keys.ts";
import { formatListing, formatPage, type MailSummary, summarize } from "./listing.ts";
import type { MailIndex } from "./mail_index.ts";
import type { Pop3Client } from "./pop3_client.ts";
import { printableLine } from "./printable.ts";
import { textWidth } from "./width.ts";

/** What the user chose: a mail by serial number, leaving with q, or the end of input. */
export type ListChoice = { serial: number } | "quit" | "end";

/** The prompt under the whole list. */
export const LIST_PROMPT = "Enter the serial number of a mail to read it, or q to quit: ";
/** Headers fetched in one batch for the whole list. */
const BATCH = 100;
/** Keys that move between pages, by the page step they take (Infinity: to the end). */
const PAGE_KEYS: ReadonlyMap<string, number> = new Map([...PAGE_STEPS, ["Home", -Infinity], ["End", Infinity]]);
const COMMAND_KEYS: ReadonlySet<string> = new Set([...PAGE_KEYS.keys(), "q", "Q"]);

/** Shows the list and asks which mail to read; remembers the page between calls. */
export class ListView {
  #client: Pop3Client;
  #index: MailIndex;
  #input: Input;
  #output: Output;
  #timeZone: string | undefined;
  #page = 0;
  #status = "";
  /** Headers already read: all of them for the whole list, the current page's on a terminal. */
  #summaries = new Map<number, MailSummary>();

  /** @param options the session, its index and the user's keyboard, screen and time zone */
  constructor(
    options: { client: Pop3Client; index: MailIndex; input: Input; output: Output; timeZone?: string },
  ) {
    this.#client = options.client;
    this.#index = options.index;
    this.#input = options.input;
    this.#output = options.output;
    this.#timeZone = options.timeZone;
  }

  /** Tells the user something: at once when the list is written whole, else on the line above the next prompt. */
  notice(text: string): void {
    if (this.#output.size?.() === undefined) this.#output.write(`${text}\n`);
    else this.#status = text;
  }

  /** Writes a notice still waiting for the next prompt (before leaving the list). */
  flush(): void {
    if (this.#status !== "") this.#output.write(`${this.#status}\n`);
    this.#status = "";
  }

  /**
   * Shows the list (whole, or the current page) and reads the user's
   * choice, until it is a valid serial number, q or the end of input.
   */
  async choose(): Promise<ListChoice> {
    for (;;) {
      const screen = this.#output.size?.();
      const answer = screen === undefined ? await this.#whole() : await this.#screenPage(screen);
      if (answer === null) return "end";
      const step = PAGE_KEYS.get(answer);
      if (step !== undefined) {
        this.#page += step;
        continue;
      }
      const choice = answer.trim();
      if (choice.toLowerCase() === "q") return "quit";
      if (choice === "") continue;
      const serial = /^\d{1,9}$/.test(choice) ? Number(choice) : 0;
      if (serial >= 1 && serial <= this.#index.size) return { serial };
      this.notice(`There is no mail with serial number "${printableLine(choice)}".`);
    }
  }

  /** Writes the whole list and reads a line. */
  async #whole(): Promise<string | null> {
    const serials = Array.from({ length: this.#index.size }, (_, i) => i + 1);
    const summaries = await this.#summariesOf(serials, BATCH);
    this.#output.write(`\n${formatListing(summaries, this.#timeZone).join("\n")}\n`);
    return await this.#input.readLine(LIST_PROMPT);
  }

  /** Draws the current page to fill the screen exactly, then reads a key or a line. */
  async #screenPage(screen: ScreenSize): Promise<string | null> {
    const perPage = Math.max(1, screen.rows - 3);
    const pages = Math.max(1, Math.ceil(this.#index.size / perPage));
    this.#page = Math.min(pages - 1, Math.max(0, this.#page));
    const first = this.#page * perPage + 1;
    const last = Math.min(this.#index.size, first + perPage - 1);
    const serials = Array.from({ length: last - first + 1 }, (_, i) => first + i);
    for (const msg of this.#summaries.keys()) {
      if (!serials.some((serial) => this.#index.msgOf(serial) === msg)) this.#summaries.delete(msg);
    }
    const mails = await this.#summariesOf(serials, perPage);
    const lines = formatPage({ first, mails, last: this.#index.size, columns: screen.columns }, this.#timeZone);
    const filler = "\n".repeat(perPage - mails.length);
    this.#output.write(`${lines.join("\n")}\n${filler}${this.#status}\n`);
    this.#status = "";
    return await this.#input.readCommand(pagePrompt(first, last, this.#index.size, screen.columns), COMMAND_KEYS);
  }

  /** The summaries of the mails with these serial numbers, fetching the missing ones in batches. */
  async #summariesOf(serials: readonly number[], batch: number): Promise<MailSummary[]> {
    const msgs = serials.map((serial) => this.#index.msgOf(serial));
    const missing = msgs.filter((msg) => !this.#summaries.has(msg));
    for (let i = 0; i < missing.length; i += batch) {
      const part = missing.slice(i, i + batch);
      const headers = await this.#client.headersOf(part);
      for (const [j, msg] of part.entries()) this.#summaries.set(msg, await summarize(headers[j]));
    }
    return msgs.map((msg) => this.#summaries.get(msg)!);
  }
}

/** The prompt under a page, as long as fits on one line of the terminal. */
function pagePrompt(first: number, last: number, total: number, columns: number): string {
  const where = `Mails ${first}-${last} of ${total}.`;
  const long = `${where} n: next page, p: previous page; a serial number to read a mail, or q to quit: `;
  if (textWidth(long) < columns) return long;
  const medium = `${where} n/p: page, number: read, q: quit: `;
  return textWidth(medium) < columns ? medium : `${first}-${last}/${total} n/p/q: `;
}

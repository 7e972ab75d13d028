/**
 * Option 1, Manage Mail: one POP3 session in which the user lists, reads
 * and deletes mail, until `q` ends it with QUIT.
 *
 * Serial numbers are positions in the list as shown: after a deletion the
 * list is shown again without that mail and numbered afresh. The server's
 * message numbers, which do not change within a session (RFC 1939 §5), are
 * kept beside them for RETR and DELE.
 *
 * @module
 */

import { ClientError, type Connector, type Endpoint } from "./connection.ts";
import { renderMail } from "./display.ts";
import type { Input, Output } from "./io.ts";
import { formatListing, type MailSummary, summarize } from "./listing.ts";
import { Pop3Client } from "./pop3_client.ts";
import { printableLine } from "./printable.ts";

/** What Manage Mail needs to know. */
export interface ManageContext {
  /** The keyboard. */
  input: Input;
  /** The screen. */
  output: Output;
  /** Opens connections. */
  connect: Connector;
  /** The POP3 server. */
  pop3: Endpoint;
  /** The logged-in user's name and password. */
  credentials: { user: string; password: string };
  /** The zone to show times in; the local zone when left out. */
  timeZone?: string;
}

/** Where to go after Manage Mail: back to the options, or out because input ended. */
export type ManageOutcome = "menu" | "end";

/** A mail in the list: the server's number for it and what the list shows. */
interface Listed {
  msg: number;
  summary: MailSummary;
}

const LIST_PROMPT = "Enter the serial number of a mail to read it, or q to quit: ";
const AFTER_READING = "Press q to quit, d to delete this mail, or any other key to see the list again: ";

/**
 * Runs Manage Mail.
 *
 * @throws {ClientError} when the server cannot be reached or the connection fails
 */
export async function manageMail(ctx: ManageContext): Promise<ManageOutcome> {
  const client = await Pop3Client.open(await ctx.connect(ctx.pop3));
  try {
    await client.startTlsIfOffered();
    const login = await client.login(ctx.credentials.user, ctx.credentials.password);
    if (!login.ok) {
      ctx.output.write(`Cannot open the mailbox: ${printableLine(login.line)}\n`);
      return await quit(client, ctx.output, "menu");
    }
    const mails: Listed[] = [];
    for (const { msg } of await client.list()) {
      mails.push({ msg, summary: await summarize(await client.headers(msg)) });
    }
    const listed = mails.length;
    try {
      return await browse(client, mails, ctx);
    } catch (error) {
      // browse takes deleted mails out of the list; the server deletes them only at QUIT.
      const marked = listed - mails.length;
      if (!(error instanceof ClientError) || marked === 0) throw error;
      throw new ClientError(
        `${error.message} (${marked} mail${marked === 1 ? "" : "s"} marked for deletion may not have been deleted)`,
      );
    }
  } finally {
    await client.close();
  }
}

/** Shows the list and acts on the user's choices until the session ends. */
async function browse(client: Pop3Client, mails: Listed[], ctx: ManageContext): Promise<ManageOutcome> {
  const { input, output } = ctx;
  for (;;) {
    if (mails.length === 0) {
      output.write("Your mailbox is empty.\n");
      return await quit(client, output, "menu");
    }
    output.write(`\n${formatListing(mails.map((m) => m.summary), ctx.timeZone).join("\n")}\n`);
    const answer = await input.readLine(LIST_PROMPT);
    if (answer === null) return await quit(client, output, "end");
    const choice = answer.trim();
    if (choice.toLowerCase() === "q") return await quit(client, output, "menu");
    if (choice === "") continue;
    const serial = /^\d{1,9}$/.test(choice) ? Number(choice) : 0;
    if (serial < 1 || serial > mails.length) {
      output.write(`There is no mail with serial number "${printableLine(choice)}".\n`);
      continue;
    }
    const { msg } = mails[serial - 1];
    output.write(`\n${await renderMail(await client.retrieve(msg), ctx.timeZone)}\n`);
    const key = await input.readKey(AFTER_READING);
    if (key === null) return await quit(client, output, "end");
    if (key.toLowerCase() === "q") return await quit(client, output, "menu");
    if (key.toLowerCase() === "d") {
      const deleted = await client.delete(msg);
      if (deleted.ok) mails.splice(serial - 1, 1);
      output.write(
        deleted.ok
          ? `Mail ${serial} deleted (the server removes it when the session ends).\n`
          : `Mail ${serial} not deleted: ${printableLine(deleted.line)}\n`,
      );
    }
  }
}

/** Ends the session with QUIT and shows the server's goodbye. */
async function quit(client: Pop3Client, output: Output, outcome: ManageOutcome): Promise<ManageOutcome> {
  // At the end of input the prompt's line was never finished.
  if (outcome === "end") output.write("\n");
  const goodbye = await client.quit();
  output.write(`${printableLine(goodbye.line)}\n`);
  return outcome;
}

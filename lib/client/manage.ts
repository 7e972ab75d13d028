/**
 * Option 1, Manage Mail: one POP3 session in which the user lists, reads
 * and deletes mail, until `q` ends it with QUIT.
 *
 * Serial numbers are positions in the list as shown: after a deletion the
 * list is shown again without that mail and numbered afresh. The server's
 * message numbers, which do not change within a session (RFC 1939 §5), are
 * mapped to them by `MailIndex` for RETR and DELE. The list and the mail
 * are shown by `list_view.ts` and `mail_view.ts`.
 *
 * @module
 */

import { ClientError, type Connector, type Endpoint } from "./connection.ts";
import type { Input, Output } from "./io.ts";
import { ListView } from "./list_view.ts";
import { MailIndex } from "./mail_index.ts";
import { readMail } from "./mail_view.ts";
import { isInUse, MAILBOX_IN_USE, Pop3Client } from "./pop3_client.ts";
import { printableLine } from "./printable.ts";

/** What Manage Mail needs to know. */
export interface ManageContext {
  /** The keyboard. */
  input: Input;
  /** The screen; when it tells its size, the list and long mails are shown a screen at a time. */
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
      ctx.output.write(
        isInUse(login)
          ? `${MAILBOX_IN_USE} Close it, or wait for it to end, then choose 1 again.\n`
          : `Cannot open the mailbox: ${printableLine(login.line)}\n`,
      );
      return await quit(client, ctx.output, "menu");
    }
    const index = new MailIndex((await client.stat()).count);
    try {
      return await browse(client, index, ctx);
    } catch (error) {
      // browse takes deleted mails out of the list; the server deletes them only at QUIT.
      const marked = index.deletedCount;
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
async function browse(client: Pop3Client, index: MailIndex, ctx: ManageContext): Promise<ManageOutcome> {
  const { output } = ctx;
  const list = new ListView({ client, index, input: ctx.input, output, timeZone: ctx.timeZone });
  for (;;) {
    if (index.size === 0) {
      list.flush();
      output.write("Your mailbox is empty.\n");
      return await quit(client, output, "menu");
    }
    const choice = await list.choose();
    if (choice === "end") return await quit(client, output, "end");
    if (choice === "quit") return await quit(client, output, "menu");
    const { serial } = choice;
    const msg = index.msgOf(serial);
    const key = await readMail(client, msg, ctx);
    if (key === null) return await quit(client, output, "end");
    if (key.toLowerCase() === "q") return await quit(client, output, "menu");
    if (key.toLowerCase() === "d") {
      const deleted = await client.delete(msg);
      if (deleted.ok) index.remove(serial);
      list.notice(
        deleted.ok
          ? `Mail ${serial} deleted (the server removes it when the session ends).`
          : `Mail ${serial} not deleted: ${printableLine(deleted.line)}`,
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

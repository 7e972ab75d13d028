/**
 * move-mail: copies every user's mail between the file store and the
 * PostgreSQL store, keeping message ids (see lib/mailbox/move_mail.ts).
 *
 * Usage: deno task move-mail --from file:ROOT|postgres://… --to file:ROOT|postgres://…
 * The users are those of userlogincred.txt under the file side's ROOT (or
 * under --root ROOT when both sides are databases).
 *
 * @module
 */

import { parseFlags, runMain, UsageError } from "../lib/cli.ts";
import { MailboxInUse, moveMail } from "../lib/mailbox/move_mail.ts";
import { type OpenedStore, openStore, parseStoreFlag, type StoreChoice } from "../lib/mailbox/open_store.ts";
import { loadUsers } from "../lib/auth/users.ts";

const USAGE = "move_mail.ts --from file:ROOT|postgres://… --to file:ROOT|postgres://… [--root ROOT]";

/** A side of the move: the store, and its root when it is the file store. */
function side(flag: string, value: string | undefined): { choice: StoreChoice; root?: string } {
  if (value === undefined) throw new UsageError(`Missing --${flag}`);
  if (value.startsWith("file:")) {
    if (value.length === 5) throw new UsageError(`Cannot use --${flag} file: without a root directory`);
    return { choice: { kind: "file" }, root: value.slice(5) };
  }
  return { choice: parseStoreFlag({ store: value }) };
}

await runMain(USAGE, async () => {
  const { values } = parseFlags(Deno.args, {
    from: { type: "string" },
    to: { type: "string" },
    root: { type: "string" },
  }, { count: 0, names: "" });
  const from = side("from", values.from as string | undefined);
  const to = side("to", values.to as string | undefined);
  const root = from.root ?? to.root ?? values.root as string | undefined;
  if (root === undefined) {
    throw new UsageError("Give --root ROOT (for userlogincred.txt) when both sides are databases");
  }
  const users = await loadUsers(root);
  const log = (line: string) => console.error(line);
  const opened: OpenedStore[] = [];
  try {
    for (const end of [from, to]) {
      opened.push(await openStore(end.choice, { root: end.root ?? root, application: "move-mail", log }));
    }
    const live = Deno.stdout.isTerminal();
    const reports = await moveMail(opened[0].store, opened[1].store, users.names, (report, total) => {
      if (live) {
        Deno.stdout.writeSync(new TextEncoder().encode(`\r${report.user}: ${report.copied + report.present}/${total}`));
      }
    });
    if (live) console.log();
    for (const { user, copied, present } of reports) console.log(`${user}: ${copied} copied, ${present} already there`);
  } catch (error) {
    if (!(error instanceof MailboxInUse)) throw error;
    console.error(error.message);
    Deno.exit(1);
  } finally {
    for (const store of opened) await store.close();
  }
});

/**
 * hash-password: prints a `userlogincred.txt` line holding a scrypt hash of
 * a password read from standard input, not echoed in a terminal (asked
 * twice there) and the first line when piped.
 *
 * Usage: deno task hash-password USER >> userlogincred.txt
 *
 * @module
 */

import { hashPassword } from "../lib/auth/password_hash.ts";
import { runMain, UsageError } from "../lib/cli.ts";
import type { Output } from "../lib/client/io.ts";
import { ConsoleInput } from "../lib/client/terminal.ts";
import { isUserName } from "../lib/auth/users.ts";

const USAGE = "deno task hash-password USER (the password is read from standard input)";

const encoder = new TextEncoder();
/** Prompts go to stderr, so that stdout holds only the line. */
const stderrOutput: Output = { write: (text) => void Deno.stderr.writeSync(encoder.encode(text)) };

await runMain(USAGE, async () => {
  if (Deno.args.length !== 1) throw new UsageError(`Expected exactly 1 argument, got ${Deno.args.length}`);
  const [user] = Deno.args;
  if (!isUserName(user)) throw new UsageError(`Cannot use "${user}" as a user name: it must be a dot-atom`);
  const terminal = Deno.stdin.isTerminal();
  const input = new ConsoleInput({
    source: Deno.stdin,
    terminal: terminal ? Deno.stdin : undefined,
    screen: terminal ? stderrOutput : { write: () => {} },
  });
  const password = await input.readSecret(`Password for ${user}: `);
  if (!password) throw new UsageError("Cannot hash an empty password");
  if (terminal && await input.readSecret("Again: ") !== password) throw new UsageError("The passwords differ");
  console.log(`${user} ${await hashPassword(password)}`);
});

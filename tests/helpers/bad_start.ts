/**
 * The check both servers' command-line tests share: a bad start exits with
 * status 2 and exactly one line on stderr, and leaves nothing behind but
 * the users' (empty) directories.
 *
 * @module
 */

import assert from "node:assert/strict";
import { listTree, makeTempRoot, runToEnd } from "./server_process.ts";

/** A bad start: its arguments (after the script) and what its one stderr line must mention. */
export interface BadStart {
  /** The step's name. */
  name: string;
  /** The arguments, given the temporary data root. */
  args: (root: string) => string[];
  /** What the one stderr line must match. */
  mentions: RegExp;
  /** The userlogincred.txt to put in the root; null for none, undefined for the seed's. */
  credentials?: string | null;
  /** Changes the root further before the start. */
  setUp?: (root: string) => Promise<void>;
}

/** Bad userlogincred.txt files that both servers must refuse at start, naming the problem. */
export const BAD_CREDENTIALS: BadStart[] = [
  {
    name: "missing userlogincred.txt",
    args: (root) => ["0", "--root", root],
    mentions: /userlogincred\.txt/,
    credentials: null,
  },
  {
    name: "malformed line 2",
    args: (root) => ["0", "--root", root],
    mentions: /userlogincred\.txt.*line 2\b/,
    credentials: "Stallings network$security\nbob\nAndrew @dministr@tor\n",
  },
];

/**
 * Bad places and numbers that both servers must refuse at start: a --root
 * that is a file, a --host that is no address of this machine (numeric: no
 * name is looked up), a negative number.
 */
export const BAD_PLACES: BadStart[] = [
  {
    name: "--root naming a file",
    args: (root) => ["0", "--root", `${root}/userlogincred.txt`],
    mentions: /Not a directory/,
  },
  {
    name: "--host 192.0.2.55",
    args: (root) => ["0", "--root", root, "--host", "192.0.2.55"],
    mentions: /192\.0\.2\.55/,
  },

  {
    name: "userlogincred.txt a directory",
    args: (root) => ["0", "--root", root],
    mentions: /[Ii]s a directory/,
    credentials: null,
    setUp: (root) => Deno.mkdir(`${root}/userlogincred.txt`),
  },
  {
    name: "--max-connections -1",
    args: (root) => ["0", "--root", root, "--max-connections", "-1"],
    mentions: /max-connections/,
  },
];

/** Runs `program` once per bad start, each as a step of `t`, in a fresh temporary root. */
export async function checkBadStarts(t: Deno.TestContext, program: string, starts: BadStart[]): Promise<void> {
  for (const bad of starts) {
    await t.step(bad.name, async () => {
      const temp = await makeTempRoot(bad.credentials);
      try {
        await bad.setUp?.(temp.root);
        const run = await runToEnd(program, bad.args(temp.root), temp.dir);
        assert.equal(run.status.code, 2, `exit status; stderr: ${run.stderr}`);
        assert.equal(run.stdout, "", "nothing on stdout");
        const lines = run.stderr.split("\n");
        assert.equal(lines.pop(), "", "stderr ends with a line end");
        assert.equal(lines.length, 1, `exactly one line on stderr: ${JSON.stringify(run.stderr)}`);
        assert.match(lines[0], bad.mentions);
        // At most the users' (empty) directories may have been made before the error was found.
        const made = (await listTree(temp.root)).filter((p) => !p.startsWith("userlogincred.txt"));
        assert.ok(made.every((p) => ["Stallings/", "Fourouzan/", "Andrew/"].includes(p)), JSON.stringify(made));
      } finally {
        await temp.remove();
      }
    });
  }
}

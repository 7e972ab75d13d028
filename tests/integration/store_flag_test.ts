/**
 * Both servers' `--store` on the command line: anything but `file` or a
 * postgres:// URL is a usage error (one line, exit 2); a database that
 * cannot be reached at start is one line naming its host, never the
 * password, and exit status 1.
 */

import assert from "node:assert/strict";
import { type BadStart, checkBadStarts } from "../helpers/bad_start.ts";
import { makeTempRoot, runToEnd } from "../helpers/server_process.ts";

const BAD_STORES: BadStart[] = [
  {
    name: "--store mysql://…",
    args: (root) => ["0", "--root", root, "--store", "mysql://u:secret@h/db"],
    mentions: /--store mysql:\/\/…@h\/db: use file or a postgres:\/\/ URL/,
  },
  { name: "--store files", args: (root) => ["0", "--root", root, "--store", "files"], mentions: /--store files/ },
];

for (const program of ["smtpmail.ts", "popserver.ts"]) {
  Deno.test(`${program} refuses a --store it cannot use with one line and exit status 2`, async (t) => {
    await checkBadStarts(t, program, BAD_STORES);
  });

  Deno.test(`${program} names the host of a database it cannot reach, and exits 1`, async () => {
    const temp = await makeTempRoot();
    try {
      const run = await runToEnd(program, [
        "0",
        "--root",
        temp.root,
        "--store",
        "postgres://mail:secret@127.0.0.1:1/mail",
      ], temp.dir);
      assert.equal(run.status.code, 1, run.stderr);
      assert.equal(run.stdout, "");
      assert.match(run.stderr, /^Cannot start: Cannot use the database at 127\.0\.0\.1:1: .*\n$/);
      assert.doesNotMatch(run.stderr, /secret/);
    } finally {
      await temp.remove();
    }
  });
}

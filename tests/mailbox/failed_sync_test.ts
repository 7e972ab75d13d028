/**
 * A delivery batch whose `fdatasync` fails: a real failure of the system
 * call, made by a shim preloaded into a second Deno process (`LD_PRELOAD`)
 * that fails it with EIO while a flag file exists. The batch must be cut
 * back off the mailbox and leave no line in its index, and the next batch
 * must be stored and indexed as if the failed one had never been.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { FileMailStore } from "../../lib/mailbox/file/file_store.ts";
import { peer, peerTest } from "../helpers/peers.ts";
import { assertBytes, concat, indexLinesOf, recordOf, simpleMessage } from "./helpers.ts";

const SHIM = `
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int fdatasync(int fd) {
  const char *flag = getenv("FAIL_SYNC_FLAG");
  if (flag != NULL && access(flag, F_OK) == 0) {
    errno = EIO;
    return -1;
  }
  int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  return real(fd);
}
`;

const MESSAGE = simpleMessage("Synced", "Only what was synced is indexed.\r\n..a dot\r\n");

/**
 * What the child process runs: three deliveries, the second while the flag
 * exists; it prints their outcomes and, after the second, the index.
 */
const CHILD = `
  import { FileMailStore } from ${JSON.stringify(import.meta.resolve("../../lib/mailbox/file/file_store.ts"))};
  import { recordOf } from ${JSON.stringify(import.meta.resolve("./helpers.ts"))};
  const message = ${JSON.stringify(MESSAGE)};
  const flag = Deno.env.get("FAIL_SYNC_FLAG");
  const store = new FileMailStore({ root: Deno.env.get("ROOT") });
  const deliver = (id) => store.deliver({ users: ["Andrew"], record: recordOf(message, id) }).then(() => "stored", (e) => e.message);
  const outcomes = [await deliver("before")];
  Deno.writeFileSync(flag, new Uint8Array());
  outcomes.push(await deliver("failed"));
  outcomes.push(Deno.readTextFileSync(Deno.env.get("ROOT") + "/Andrew/mymailbox.idx"));
  Deno.removeSync(flag);
  outcomes.push(await deliver("after"));
  store.close();
  console.log(JSON.stringify(outcomes));`;

/** An index's lines after its header. */
function indexLines(index: string): string[] {
  return index.split("\n").slice(1, -1);
}

peerTest(
  [peer("gcc"), peer("libc6-dev")],
  "FileMailStore: a batch whose fdatasync fails is cut back off the mailbox and never indexed; the next one is",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "failed_sync_test_" });
    try {
      const root = join(dir, "root");
      await Deno.mkdir(root);
      await Deno.writeTextFile(join(dir, "shim.c"), SHIM);
      const shim = join(dir, "fail_fdatasync.so");
      const built = await new Deno.Command("cc", {
        args: ["-shared", "-fPIC", "-o", shim, join(dir, "shim.c"), "-ldl"],
      })
        .output();
      assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));
      const child = await new Deno.Command(Deno.execPath(), {
        args: ["eval", CHILD],
        env: { LD_PRELOAD: shim, FAIL_SYNC_FLAG: join(dir, "fail-now"), ROOT: root },
      }).output();
      const stdout = new TextDecoder().decode(child.stdout);
      assert.equal(child.code, 0, new TextDecoder().decode(child.stderr));
      const [before, failed, indexAfterFailure, after] = JSON.parse(stdout);
      assert.equal(before, "stored");
      assert.match(failed, /^Cannot deliver to Andrew: .*os error 5/);
      assert.equal(after, "stored");
      assert.deepEqual(
        indexLines(indexAfterFailure),
        indexLinesOf(MESSAGE, ["before"]),
        "the index after the failed batch",
      );

      const kept = ["before", "after"];
      assertBytes(
        await Deno.readFile(join(root, "Andrew", "mymailbox")),
        concat(kept.flatMap((id) => recordOf(MESSAGE, id))),
      );
      const index = await Deno.readTextFile(join(root, "Andrew", "mymailbox.idx"));
      assert.deepEqual(indexLines(index), indexLinesOf(MESSAGE, kept));
      const store = new FileMailStore({ root });
      try {
        assert.deepEqual((await store.list("Andrew")).map((record) => record.id), kept);
        const maildrop = await store.openMaildrop("Andrew");
        try {
          assert.deepEqual(Array.from({ length: maildrop.count }, (_, i) => maildrop.id(i)), kept);
        } finally {
          maildrop.close();
        }
      } finally {
        store.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

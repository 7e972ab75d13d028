/**
 * The file store keeps a mailbox's lock, file and index open between
 * delivery batches (`held_mailbox.ts`): whatever changes them meanwhile (a
 * raw append, a rewrite by another process, an index written anew, a
 * symbolic link planted) must be seen, as when each batch opened them.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { withLock } from "../../lib/mailbox/file/file_io.ts";
import { FileMailStore } from "../../lib/mailbox/file/file_store.ts";
import { assertBytes, bytesOf, concat, indexLinesOf, recordOf, simpleMessage } from "./helpers.ts";
import { assertMaildropMatches } from "./maildrop_contract.ts";

const MESSAGE = simpleMessage("Held", "Kept open between batches.\r\n..a dot\r\n");

/** Runs `fn` with two stores over one fresh root (two processes' worth), closed and removed afterwards. */
async function withStores(fn: (a: FileMailStore, b: FileMailStore, root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "held_mailbox_test_" });
  const a = new FileMailStore({ root });
  const b = new FileMailStore({ root });
  try {
    await fn(a, b, root);
  } finally {
    a.close();
    b.close();
    await Deno.remove(root, { recursive: true });
  }
}

/** Delivers one record with trace id `id` to Andrew. */
async function deliver(store: FileMailStore, id: string): Promise<void> {
  await store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, id) });
}

/** The index's lines after its header. */
async function indexLines(root: string): Promise<string[]> {
  const text = await Deno.readTextFile(join(root, "Andrew", "mymailbox.idx"));
  return text.split("\n").slice(1, -1);
}

/** The index lines that a mailbox of these records in this order must have. */
function expectedLines(ids: string[]): string[] {
  return indexLinesOf(MESSAGE, ids);
}

Deno.test("FileMailStore: batches in a row append to the mailbox and its index", async () => {
  await withStores(async (a, _b, root) => {
    for (const id of ["H1", "H2", "H3"]) await deliver(a, id);
    const want = concat(["H1", "H2", "H3"].flatMap((id) => recordOf(MESSAGE, id)));
    assertBytes(await Deno.readFile(join(root, "Andrew", "mymailbox")), want);
    assert.deepEqual(await indexLines(root), expectedLines(["H1", "H2", "H3"]));
    assert.deepEqual(await assertMaildropMatches(a, "Andrew"), ["H1", "H2", "H3"]);
  });
});

Deno.test("FileMailStore: a torn tail appended between two batches is cut, and the index stays right", async () => {
  await withStores(async (a, _b, root) => {
    await deliver(a, "T1");
    await Deno.writeFile(join(root, "Andrew", "mymailbox"), bytesOf("Subject: torn\r\n\r\nhal"), { append: true });
    await deliver(a, "T2");
    const want = concat([...recordOf(MESSAGE, "T1"), ...recordOf(MESSAGE, "T2")]);
    assertBytes(await Deno.readFile(join(root, "Andrew", "mymailbox")), want);
    assert.deepEqual(await indexLines(root), expectedLines(["T1", "T2"]));
  });
});

Deno.test("FileMailStore: a mailbox rewritten by another process between two batches gets the next one", async () => {
  await withStores(async (a, b, root) => {
    for (const id of ["R1", "R2"]) await deliver(a, id);
    // The POP3 server's DELE at QUIT: a copy renamed over the mailbox, with its index written whole.
    await b.remove("Andrew", new Set(["R1"]));
    await deliver(a, "R3");
    const want = concat([...recordOf(MESSAGE, "R2"), ...recordOf(MESSAGE, "R3")]);
    assertBytes(await Deno.readFile(join(root, "Andrew", "mymailbox")), want);
    assert.deepEqual(await indexLines(root), expectedLines(["R2", "R3"]));
    assert.deepEqual(await assertMaildropMatches(b, "Andrew"), ["R2", "R3"]);
  });
});

Deno.test("FileMailStore: another process's delivery between two batches is kept, and both are indexed", async () => {
  await withStores(async (a, b, root) => {
    await deliver(a, "P1");
    await deliver(b, "P2");
    await deliver(a, "P3");
    await deliver(b, "P4");
    assert.deepEqual(await indexLines(root), expectedLines(["P1", "P2", "P3", "P4"]));
    assert.deepEqual(await assertMaildropMatches(a, "Andrew"), ["P1", "P2", "P3", "P4"]);
  });
});

Deno.test("FileMailStore: an index deleted and written anew between two batches gets the next batch's line", async () => {
  await withStores(async (a, b, root) => {
    await deliver(a, "I1");
    await Deno.remove(join(root, "Andrew", "mymailbox.idx"));
    // A login finds no index and writes one (renamed into place).
    await assertMaildropMatches(b, "Andrew");
    assert.equal(b.stats.fullScans, 1);
    await deliver(a, "I2");
    assert.deepEqual(await indexLines(root), expectedLines(["I1", "I2"]));
  });
});

Deno.test("FileMailStore: a symbolic link planted at the mailbox between two batches is refused", async () => {
  await withStores(async (a, _b, root) => {
    await deliver(a, "S1");
    const outside = join(root, "outside");
    await Deno.writeTextFile(outside, "not a mailbox");
    const path = join(root, "Andrew", "mymailbox");
    await Deno.rename(path, join(root, "Andrew", "moved"));
    await Deno.symlink(outside, path);
    await assert.rejects(deliver(a, "S2"), /symbolic link/);
    assert.equal(await Deno.readTextFile(outside), "not a mailbox");
  });
});

Deno.test("FileMailStore: a lock file removed between two batches is not trusted: the next batch locks the new one", async () => {
  await withStores(async (a, _b, root) => {
    await deliver(a, "L1");
    const lockPath = join(root, "Andrew", "mymailbox.lock");
    await Deno.remove(lockPath);
    let stored = false;
    // Another process's writer now locks a new file at the path; a batch still locking the removed one would not wait.
    const { delivery } = await withLock(lockPath, async () => {
      const delivery = deliver(a, "L2").then(() => stored = true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(stored, false, "the batch went ahead while another writer held the lock");
      // Wrapped: returned as it is, the delivery would be awaited with the lock still held.
      return { delivery };
    });
    await delivery;
    assert.deepEqual(await indexLines(root), expectedLines(["L1", "L2"]));
  });
});

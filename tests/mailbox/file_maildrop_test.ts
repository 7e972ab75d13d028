import assert from "node:assert/strict";
import { join } from "node:path";
import { FileMailStore } from "../../lib/mailbox/file/file_store.ts";
import { fileIdentity } from "../../lib/mailbox/file/maildrop_index.ts";
import { bytesOf, concat, recordOf, simpleMessage } from "./helpers.ts";
import { assertMaildropMatches } from "./maildrop_contract.ts";

const MESSAGE = simpleMessage("index", "Body.\r\n..dots\r\n");

/** Runs `fn` with a fresh store over a temporary root, removed afterwards. */
async function withStore(fn: (store: FileMailStore, box: Mailbox) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "maildrop_test_" });
  const store = new FileMailStore({ root });
  try {
    await fn(store, new Mailbox(join(root, "Andrew")));
  } finally {
    store.close();
    await Deno.remove(root, { recursive: true });
  }
}

/** Andrew's files, reached behind the store's back. */
class Mailbox {
  constructor(readonly dir: string) {}

  get path(): string {
    return join(this.dir, "mymailbox");
  }

  get indexPath(): string {
    return join(this.dir, "mymailbox.idx");
  }

  /** The index's text. */
  index(): Promise<string> {
    return Deno.readTextFile(this.indexPath);
  }

  /** The index's header and complete lines. */
  async indexLines(): Promise<string[]> {
    return (await this.index()).split("\n").slice(0, -1);
  }

  /** Replaces the index's text. */
  setIndex(text: string): Promise<void> {
    return Deno.writeTextFile(this.indexPath, text);
  }

  /** Appends bytes to the mailbox as they are. */
  appendRaw(bytes: Uint8Array): Promise<void> {
    return Deno.writeFile(this.path, bytes, { append: true });
  }

  /** The mailbox file's identity in its index header (`fileIdentity`). */
  async identity(): Promise<string | null> {
    return fileIdentity(await Deno.stat(this.path));
  }
}

/** Delivers messages with the given trace ids to Andrew, one by one. */
async function deliver(store: FileMailStore, ...ids: string[]): Promise<void> {
  for (const id of ids) await store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, id) });
}

Deno.test("FileMailStore deliveries write and extend the index that openMaildrop reads", async () => {
  await withStore(async (store, box) => {
    await deliver(store, "I1", "I2");
    const length = concat(recordOf(MESSAGE, "I1")).length;
    const size = length - 3 - 1;
    assert.deepEqual(await box.indexLines(), [
      `mymailbox-index 2 ${await box.identity()}`,
      `0 ${length} ${size} I1`,
      `${length} ${length} ${size} I2`,
    ]);
    await deliver(store, "I3");
    assert.equal((await box.indexLines()).length, 4);
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["I1", "I2", "I3"]);
    assert.deepEqual([store.stats.fullScans, store.stats.indexRewrites, store.stats.indexErrors], [0, 0, 0]);
  });
});

Deno.test("FileMailStore.openMaildrop scans only the tail that a crash left out of the index", async () => {
  await withStore(async (store, box) => {
    await deliver(store, "C1", "C2", "C3", "C4");
    const [header, ...lines] = await box.indexLines();
    for (const kept of [lines.slice(0, 3), lines.slice(0, 1), []]) {
      await box.setIndex([header, ...kept, ""].join("\n"));
      assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["C1", "C2", "C3", "C4"]);
    }
    // Only the index without lines made it read the whole mailbox.
    assert.equal(store.stats.fullScans, 1);
    await deliver(store, "C5");
    assert.deepEqual((await box.indexLines()).slice(1, 5), lines);
    assert.equal(store.stats.indexRewrites, 0);
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["C1", "C2", "C3", "C4", "C5"]);
  });
});

Deno.test("FileMailStore.openMaildrop ignores a torn index line, and the next delivery drops it", async () => {
  await withStore(async (store, box) => {
    await deliver(store, "N1", "N2");
    const text = await box.index();
    const torn = text.slice(0, text.lastIndexOf("\n", text.length - 2) + 1) + "999 1";
    await box.setIndex(torn);
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["N1", "N2"]);
    await deliver(store, "N3");
    assert.equal(await box.index(), text + (await box.indexLines())[3] + "\n");
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["N1", "N2", "N3"]);
    assert.deepEqual([store.stats.fullScans, store.stats.indexRewrites], [0, 0]);
  });
});

Deno.test("FileMailStore.openMaildrop ignores an index of another file and writes it anew after its scan", async () => {
  await withStore(async (store, box) => {
    await deliver(store, "O1", "O2", "O3");
    const old = await box.index();
    await store.remove("Andrew", new Set(["O2"]));
    const current = await box.index();
    assert.ok(current.startsWith(`mymailbox-index 2 ${await box.identity()}\n`));
    await box.setIndex(old);
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["O1", "O3"]);
    assert.equal(store.stats.fullScans, 1);
    assert.equal(await box.index(), current, "the scan wrote the index of this file");
    await deliver(store, "O4");
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["O1", "O3", "O4"]);
    assert.equal(store.stats.fullScans, 1);
  });
});

Deno.test("FileMailStore.openMaildrop ignores the index of a removed mailbox whose inode a new one reuses", async () => {
  await withStore(async (store, box) => {
    await deliver(store, "R1", "R2");
    const [header, ...lines] = await box.indexLines();
    // The file is replaced by hand by one of the same size holding other mail; a file system
    // may give it the old inode, but not the old birth time.
    const other = concat([...recordOf(MESSAGE, "S1"), ...recordOf(MESSAGE, "S2")]);
    await new Promise((resolve) => setTimeout(resolve, 5)); // a later birth time, in milliseconds
    await Deno.remove(box.path);
    await Deno.writeFile(box.path, other);
    const [ino] = (await box.identity())!.split(" ");
    const birth = header.split(" ")[3];
    await box.setIndex([`mymailbox-index 2 ${ino} ${birth}`, ...lines, ""].join("\n"));
    assert.notEqual(await box.identity(), `${ino} ${birth}`, "the file system keeps birth times");
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["S1", "S2"]);
    assert.equal(store.stats.fullScans, 1);
  });
});

Deno.test("FileMailStore.openMaildrop replaces a corrupt index of the mailbox, ignores garbage", async () => {
  await withStore(async (store, box) => {
    await deliver(store, "G1", "G2");
    const [header, first, second] = await box.indexLines();
    const corrupt = [
      [header, second, first],
      [header, "0 99999 5 G1"],
      [header, first.replace("G1", "G 1")],
      [header, first.replace(/^0/, "x")],
      [header, first, first],
    ];
    const good = [header, first, second, ""].join("\n");
    for (const lines of corrupt) {
      await box.setIndex([...lines, ""].join("\n"));
      assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["G1", "G2"], lines.join(" | "));
      assert.equal(await box.index(), good, "the corrupt index is replaced by a good one");
    }
    await box.setIndex("\0".repeat(100));
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["G1", "G2"]);
    assert.equal(store.stats.fullScans, corrupt.length + 1);
    await deliver(store, "G3");
    assert.equal((await box.indexLines()).length, 4);
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["G1", "G2", "G3"]);
    assert.equal(store.stats.fullScans, corrupt.length + 1);
  });
});

Deno.test("FileMailStore indexes no torn mailbox tail, and indexes the record that replaces it", async () => {
  await withStore(async (store, box) => {
    await deliver(store, "M1");
    await box.appendRaw(concat(recordOf(MESSAGE, "TORN")).slice(0, -2));
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["M1"]);
    await deliver(store, "M2");
    const lines = await box.indexLines();
    assert.deepEqual(lines.map((line) => line.split(" ").at(-1)).slice(1), ["M1", "M2"]);
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["M1", "M2"]);
    assert.deepEqual([store.stats.fullScans, store.stats.indexRewrites], [0, 0]);
  });
});

Deno.test("FileMailStore.remove writes the index of the new file with the ids records were served with", async () => {
  await withStore(async (store, box) => {
    const twin = bytesOf("Subject: twin\r\n\r\nsame\r\n.\r\n");
    await Deno.mkdir(box.dir);
    await box.appendRaw(concat([twin, twin]));
    await deliver(store, "R1", "R2", "R1");
    assert.equal(store.stats.indexRewrites, 1);
    const ids = await assertMaildropMatches(store, "Andrew");
    assert.deepEqual(ids.slice(2), ["R1", "R2", "R1.2"]);
    await store.remove("Andrew", new Set([ids[0], "R1"]));
    const lines = await box.indexLines();
    assert.equal(lines[0], `mymailbox-index 2 ${await box.identity()}`);
    assert.deepEqual(lines.slice(1).map((line) => line.split(" ").at(-1)), [ids[1], "R2", "R1.2"]);
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), [ids[1], "R2", "R1.2"]);
    assert.equal(store.stats.fullScans, 0);
  });
});

Deno.test("FileMailStore.openMaildrop sees records written by hand past the index", async () => {
  await withStore(async (store, box) => {
    await deliver(store, "H1");
    await box.appendRaw(concat([...recordOf(MESSAGE, "H1"), bytesOf("Subject: no trace\r\n\r\n.\r\n")]));
    const ids = await assertMaildropMatches(store, "Andrew");
    assert.deepEqual(ids.slice(0, 2), ["H1", "H1.2"]);
    assert.match(ids[2], /^[0-9a-f]{32}$/);
    assert.equal(store.stats.fullScans, 0);
  });
});

Deno.test("FileMailStore.openMaildrop reads ids from the index it opened, whatever deliveries do to the file", async () => {
  await withStore(async (store, box) => {
    const ids = Array.from({ length: 600 }, (_, i) => `K${i}.${"x".repeat(40)}`);
    await deliver(store, ...ids, ids[7]);
    const maildrop = await store.openMaildrop("Andrew");
    try {
      assert.equal(store.stats.fullScans, 0, "the ids come from the index");
      // Appended to, then removed and written anew by a later delivery: the open maildrop keeps its ids.
      await deliver(store, "K-later");
      await Deno.remove(box.indexPath);
      await deliver(store, "K-last");
      assert.equal((await box.indexLines()).length, 604);
      const seen = Array.from({ length: maildrop.count }, (_, i) => maildrop.id(i));
      assert.deepEqual(seen, [...ids, `${ids[7].slice(0, 60)}.2`]);
      assert.equal(maildrop.id(3), ids[3], "an id read out of order");
    } finally {
      maildrop.close();
    }
  });
});

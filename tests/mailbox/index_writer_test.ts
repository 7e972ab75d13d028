import assert from "node:assert/strict";
import { join } from "node:path";
import { type IndexPaths, updateIndex } from "../../lib/mailbox/file/index_writer.ts";
import { fileIdentity, readIndexTail, scanChunks, scanEntries } from "../../lib/mailbox/file/maildrop_index.ts";
import { bytesOf, concat, recordOf, simpleMessage } from "./helpers.ts";

const RECORDS = ["W1", "W2", "W3"].map((id) => concat(recordOf(simpleMessage(id, `${id} body\r\n`), id)));
const LENGTH = RECORDS[0].length;

/** A directory with a mailbox of `RECORDS` and its index written by `updateIndex`. */
async function withIndexedMailbox(fn: (dir: string, paths: IndexPaths) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "index_writer_test_" });
  try {
    const paths = { path: join(dir, "mymailbox.idx"), tmpPath: join(dir, "mymailbox.idx.tmp") };
    await Deno.writeFile(join(dir, "mymailbox"), concat(RECORDS));
    assert.equal(await update(dir, paths), true);
    assert.deepEqual(await ids(paths), ["W1", "W2", "W3"]);
    await fn(dir, paths);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `updateIndex` on the mailbox in `dir`. */
async function update(dir: string, paths: IndexPaths, changedAt?: number): Promise<boolean> {
  using file = await Deno.open(join(dir, "mymailbox"), { read: true });
  return await updateIndex(file, paths, changedAt);
}

/** The ids of the index's lines. */
async function ids(paths: IndexPaths): Promise<string[]> {
  const lines = (await Deno.readTextFile(paths.path)).split("\n").slice(1, -1);
  return lines.map((line) => line.split(" ")[3]);
}

Deno.test("updateIndex rewrites an index that names records cut from the mailbox", async () => {
  await withIndexedMailbox(async (dir, paths) => {
    await Deno.truncate(join(dir, "mymailbox"), 2 * LENGTH);
    assert.equal(await update(dir, paths), true);
    assert.deepEqual(await ids(paths), ["W1", "W2"]);
  });
});

Deno.test("updateIndex rewrites an index that names records after the change", async () => {
  await withIndexedMailbox(async (dir, paths) => {
    // As if W3 had been cut and another record of the same length written in its place.
    assert.equal(await update(dir, paths, 2 * LENGTH), true);
    assert.deepEqual(await ids(paths), ["W1", "W2", "W3"]);
    assert.equal(await update(dir, paths, 3 * LENGTH), false);
  });
});

Deno.test("updateIndex rewrites the index of a mailbox file that was replaced", async () => {
  await withIndexedMailbox(async (dir, paths) => {
    await Deno.writeFile(join(dir, "mymailbox.new"), concat([RECORDS[2], RECORDS[0]]));
    await Deno.rename(join(dir, "mymailbox.new"), join(dir, "mymailbox"));
    assert.equal(await update(dir, paths), true);
    assert.deepEqual(await ids(paths), ["W3", "W1"]);
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names.sort(), ["mymailbox", "mymailbox.idx"]);
  });
});

Deno.test("updateIndex rewrites an index whose last line does not end a record", async () => {
  await withIndexedMailbox(async (dir, paths) => {
    const [header] = (await Deno.readTextFile(paths.path)).split("\n");
    await Deno.writeTextFile(paths.path, `${header}\n0 ${LENGTH - 1} 10 W1\n`);
    assert.equal(await update(dir, paths), true);
    assert.deepEqual(await ids(paths), ["W1", "W2", "W3"]);
  });
});

Deno.test("readIndexTail finds the end of the last complete line", async () => {
  await withIndexedMailbox(async (dir, paths) => {
    const text = await Deno.readTextFile(paths.path);
    const header = text.slice(0, text.indexOf("\n") + 1);
    const identity = fileIdentity(await Deno.stat(join(dir, "mymailbox")))!;
    const [ino, birth] = identity.split(" ");
    const torn = `${3 * LENGTH} 12`;
    const cases: [string, { end: number; length: number; size: number } | null][] = [
      [text, { end: 3 * LENGTH, length: text.length, size: text.length }],
      [`${text}${torn}`, { end: 3 * LENGTH, length: text.length, size: text.length + torn.length }],
      [header, { end: 0, length: header.length, size: header.length }],
      [`${header}0 1`, { end: 0, length: header.length, size: header.length + 3 }],
      [`${header}${"9".repeat(5000)}`, null],
      [`${text}${"9".repeat(5000)}\n`, null],
      [text.replace(identity, `${Number(ino) + 1} ${birth}`), null],
      [text.replace(identity, `${ino} ${Number(birth) + 1}`), null],
      ["", null],
    ];
    for (const [contents, want] of cases) {
      await Deno.writeTextFile(paths.path, contents);
      using file = await Deno.open(paths.path, { read: true });
      assert.deepEqual(readIndexTail(file, identity), want, JSON.stringify(contents.slice(-40)));
    }
  });
});

Deno.test("scanChunks finds in the chunks of an append what scanEntries finds in the file", async () => {
  const withoutTrace = bytesOf("Subject: no trace\r\n\r\n..dot line\r\nbody\r\n.\r\n");
  const records = [
    concat(recordOf(simpleMessage("one", "body\r\n..dots\r\n"), "C1")),
    withoutTrace,
    concat(recordOf(simpleMessage("big", "x".repeat(998) + "\r\n".repeat(1) + "y\r\n".repeat(200_000)), "C3")),
    concat(recordOf(simpleMessage("tail", ".\r\n"), "C4")),
  ];
  const bytes = concat(records);
  const dir = await Deno.makeTempDir({ prefix: "scan_chunks_" });
  try {
    const path = join(dir, "mymailbox");
    await Deno.writeFile(path, concat([new Uint8Array(7).fill(0x61), bytes]));
    using file = await Deno.open(path, { read: true });
    const fromFile: unknown[] = [];
    await scanEntries(file, 7, 7 + bytes.length, (entry) => fromFile.push(entry));
    assert.equal(fromFile.length, 4);
    for (const cuts of [[], [1, 2, 3, 5, 8, 13], [4000, 300_000, 300_001], [bytes.length - 1]]) {
      const chunks = [0, ...cuts, bytes.length].slice(1).map((end, i, ends) =>
        bytes.subarray(i === 0 ? 0 : ends[i - 1], end)
      );
      const fromChunks: unknown[] = [];
      await scanChunks(chunks, 7, (entry) => fromChunks.push(entry));
      assert.deepEqual(fromChunks, fromFile, `cut at ${cuts.join(",")}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

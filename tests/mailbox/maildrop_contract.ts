/**
 * The behaviour of `MailStore.openMaildrop` every store must show: the
 * maildrop agrees with `list` and `read`, run against each store by its
 * own test file with a factory.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Maildrop, MailStore } from "../../lib/mailbox/store.ts";
import { casesFor, type ContractCases, type RawFixture, registerCases, type StoreFixture } from "./contract.ts";
import { assertBytes, bytesOf, concat, readAll, recordOf, simpleMessage } from "./helpers.ts";

/** Largest chunk `Maildrop.read` may yield. */
const READ_CHUNK = 64 * 1024;

/** Reads record `i` of the maildrop whole, checking the chunk size limit. */
export async function readRecord(maildrop: Maildrop, i: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of maildrop.read(i)) {
    assert.ok(chunk.length > 0 && chunk.length <= READ_CHUNK, `chunk of ${chunk.length} bytes`);
    chunks.push(chunk.slice());
  }
  return concat(chunks);
}

/** Runs `fn` on the user's maildrop, closing it afterwards. */
export async function withMaildrop<T>(store: MailStore, user: string, fn: (maildrop: Maildrop) => T | Promise<T>) {
  const maildrop = await store.openMaildrop(user);
  try {
    return await fn(maildrop);
  } finally {
    maildrop.close();
  }
}

/**
 * Asserts that the user's maildrop shows exactly what `list` and `read`
 * show: count, total size, and each record's size, id, stored length and
 * bytes.
 *
 * @returns The maildrop's ids.
 */
export async function assertMaildropMatches(store: MailStore, user: string): Promise<string[]> {
  const records = await store.list(user);
  return await withMaildrop(store, user, async (maildrop) => {
    assert.equal(maildrop.count, records.length);
    assert.equal(maildrop.totalSize, records.reduce((sum, r) => sum + r.size, 0));
    for (const [i, record] of records.entries()) {
      assert.deepEqual(
        [maildrop.id(i), maildrop.size(i), maildrop.storedLength(i)],
        [record.id, record.size, record.storedLength],
        `record ${i}`,
      );
      assertBytes(await readRecord(maildrop, i), await readAll(store.read(user, record)), `record ${i}`);
    }
    return records.map((_, i) => maildrop.id(i));
  });
}

/** Delivers a message with trace id `id` to the user. */
function deliver(store: MailStore, user: string, message: string | Uint8Array, id: string): Promise<void> {
  return store.deliver({ users: [user], record: recordOf(message, id) });
}

const ONE = simpleMessage("one", "First.\r\n");
const DOTS = simpleMessage("dots", ".\r\n..\r\n.x\r\nend.\r\n");
const BIG = simpleMessage("big", "0123456789abcdef\r\n".repeat(20000));
const TWIN = bytesOf("Subject: twin\r\nReceived: 27 Nov 2026 09:45\r\n\r\nsame\r\n.\r\n");

/** The contract of `openMaildrop`, as name and check on a fresh fixture. */
const CONTRACT: Record<string, (fixture: StoreFixture) => Promise<void>> = {
  "opens a missing mailbox as an empty maildrop": async ({ store }) => {
    const maildrop = await store.openMaildrop("Nobody");
    assert.deepEqual([maildrop.count, maildrop.totalSize], [0, 0]);
    assert.throws(() => maildrop.read(0), RangeError);
    maildrop.close();
    maildrop.close();
  },
  "agrees with list and read on every record": async ({ store }) => {
    for (const [i, message] of [ONE, DOTS, BIG, "", ONE].entries()) {
      await deliver(store, "Andrew", message, `A${i}`);
    }
    const ids = await assertMaildropMatches(store, "Andrew");
    assert.deepEqual(ids, ["A0", "A1", "A2", "A3", "A4"]);
  },
  "yields chunks that hold the record's bytes until the next is asked for": async ({ store }) => {
    await deliver(store, "Andrew", BIG, "F1");
    await deliver(store, "Andrew", ONE, "F2");
    const expected = concat(recordOf(BIG, "F1"));
    await withMaildrop(store, "Andrew", async (maildrop) => {
      await readRecord(maildrop, 1);
      let at = 0;
      for await (const chunk of maildrop.read(0)) {
        assertBytes(chunk, expected.subarray(at, at + chunk.length), `chunk at ${at}`);
        at += chunk.length;
      }
      assert.equal(at, expected.length);
    });
  },
  "reads other records after a read stopped early": async ({ store }) => {
    await deliver(store, "Andrew", BIG, "E1");
    await deliver(store, "Andrew", ONE, "E2");
    await withMaildrop(store, "Andrew", async (maildrop) => {
      for await (const chunk of maildrop.read(0)) {
        assert.ok(chunk.length > 0);
        break;
      }
      assertBytes(await readRecord(maildrop, 1), concat(recordOf(ONE, "E2")));
      assertBytes(await readRecord(maildrop, 0), concat(recordOf(BIG, "E1")));
    });
  },
  "reads two records at once, their chunks interleaved": async ({ store }) => {
    const other = simpleMessage("other", "fedcba9876543210\r\n".repeat(9000));
    await deliver(store, "Andrew", BIG, "J1");
    await deliver(store, "Andrew", other, "J2");
    await withMaildrop(store, "Andrew", async (maildrop) => {
      // A store's read may be synchronous or not: both are walked as asynchronous iterators.
      const iterators = [0, 1].map((i) =>
        (async function* () {
          yield* maildrop.read(i);
        })()
      );
      const chunks: Uint8Array[][] = [[], []];
      for (let live = 2; live > 0;) {
        live = 0;
        for (const [i, iterator] of iterators.entries()) {
          const { value, done } = await iterator.next();
          if (done) continue;
          chunks[i].push(value.slice());
          live++;
        }
      }
      assertBytes(concat(chunks[0]), concat(recordOf(BIG, "J1")));
      assertBytes(concat(chunks[1]), concat(recordOf(other, "J2")));
    });
  },
  "does not show records delivered after opening": async ({ store }) => {
    await deliver(store, "Andrew", ONE, "L1");
    await withMaildrop(store, "Andrew", async (maildrop) => {
      await deliver(store, "Andrew", DOTS, "L2");
      assert.equal(maildrop.count, 1);
      assertBytes(await readRecord(maildrop, 0), concat(recordOf(ONE, "L1")));
    });
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["L1", "L2"]);
  },
  "opens a mailbox emptied by remove as an empty maildrop": async ({ store }) => {
    await deliver(store, "Andrew", ONE, "R1");
    await store.remove("Andrew", new Set(["R1"]));
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), []);
  },
  "rejects bad record numbers, and reads once closed": async ({ store }) => {
    await deliver(store, "Andrew", ONE, "B1");
    const maildrop = await store.openMaildrop("Andrew");
    for (const bad of [-1, 1, 0.5, NaN]) {
      assert.throws(() => maildrop.read(bad), RangeError);
      assert.throws(() => maildrop.size(bad), RangeError);
      assert.throws(() => maildrop.id(bad), RangeError);
    }
    maildrop.close();
    assert.throws(() => maildrop.read(0), /closed/);
    assert.throws(() => maildrop.id(0), /closed/);
    assert.deepEqual([maildrop.count, maildrop.totalSize], [1, concat(recordOf(ONE, "B1")).length - 3]);
  },
};

/** The cases that write a mailbox behind the store's back: for stores in the mailbox file format only. */
const RAW_CONTRACT: Record<string, (fixture: RawFixture) => Promise<void>> = {
  "leaves out a torn last record": async ({ store, appendRaw }) => {
    await deliver(store, "Andrew", ONE, "T1");
    await appendRaw("Andrew", concat(recordOf(DOTS, "TORN")).slice(0, -1));
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["T1"]);
  },
  "gives repeated ids the suffixes of list, remove honours them, and the rest keep theirs": async (
    { store, appendRaw },
  ) => {
    await appendRaw("Andrew", concat([TWIN, TWIN]));
    await deliver(store, "Andrew", ONE, "DUP");
    await deliver(store, "Andrew", DOTS, "DUP");
    await deliver(store, "Andrew", ONE, "DUP.2");
    const ids = await assertMaildropMatches(store, "Andrew");
    assert.equal(new Set(ids).size, 5, ids.join(" "));
    assert.deepEqual(ids.slice(2), ["DUP", "DUP.2", "DUP.2.2"]);
    await store.remove("Andrew", new Set([ids[1], ids[3]]));
    const after = await assertMaildropMatches(store, "Andrew");
    assert.deepEqual(after, [ids[0], "DUP", "DUP.2.2"]);
    const kept = await withMaildrop(store, "Andrew", async (maildrop) => [
      await readRecord(maildrop, 0),
      await readRecord(maildrop, 2),
    ]);
    assertBytes(kept[0], TWIN);
    assertBytes(kept[1], concat(recordOf(ONE, "DUP.2")));
  },
};

/** The `openMaildrop` contract's cases; with `raw`, those for stores in the mailbox file format too. */
export function maildropCases(raw: boolean): ContractCases {
  return casesFor(CONTRACT, RAW_CONTRACT, raw);
}

/** Registers the `openMaildrop` contract tests of a `MailStore` in the mailbox file format, made by `open`. */
export function maildropContract(name: string, open: () => Promise<StoreFixture>): void {
  registerCases(`${name}.openMaildrop`, maildropCases(true), open);
}

/**
 * The behaviour every `MailStore` must show, run against each store by its
 * own test file with a factory.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { type MailStore, QuotaExceeded } from "../../lib/mailbox/store.ts";
import { newMessageId } from "../../lib/smtp/trace.ts";
import { fuzzParams } from "../fuzz/fuzz.ts";
import {
  assertBytes,
  assertRecords,
  bytesOf,
  concat,
  readAll,
  recordOf,
  simpleMessage,
  sizeOf,
  TRACE_TIME,
} from "./helpers.ts";

/** A store under test, and for stores in the mailbox file format a way to reach behind its back. */
export interface StoreFixture {
  store: MailStore;
  /** Appends bytes to the user's mailbox as they are (a hand edit, a crash); file-format stores only. */
  appendRaw?(user: string, bytes: Uint8Array): Promise<void>;
  /** Frees everything the fixture holds. */
  close(): Promise<void>;
}

/** A fixture of a store in the mailbox file format. */
export type RawFixture = Required<StoreFixture>;

/** A contract's cases, by name. */
export type ContractCases = Record<string, (fixture: StoreFixture) => Promise<void>>;

/**
 * A contract's cases for a store: the store-neutral ones, and with `raw`
 * those that write its mailbox file behind its back.
 */
export function casesFor(
  cases: ContractCases,
  rawCases: Record<string, (fixture: RawFixture) => Promise<void>>,
  raw: boolean,
): ContractCases {
  if (!raw) return cases;
  const wrapped = Object.entries(rawCases).map(([name, check]) => [name, (fixture: StoreFixture) => {
    if (fixture.appendRaw === undefined) throw new TypeError(`Cannot run "${name}": the fixture takes no raw appends`);
    return check(fixture as RawFixture);
  }]);
  return { ...cases, ...Object.fromEntries(wrapped) };
}

/** Registers one test per case, each on a fresh fixture from `open`. */
export function registerCases(prefix: string, cases: ContractCases, open: () => Promise<StoreFixture>): void {
  for (const [what, check] of Object.entries(cases)) {
    Deno.test(`${prefix} ${what}`, async () => {
      const fixture = await open();
      try {
        await check(fixture);
      } finally {
        await fixture.close();
      }
    });
  }
}

/** Runs each case as a step of `t`, each on a fresh fixture from `open`. */
export async function runCases(
  t: Deno.TestContext,
  cases: ContractCases,
  open: () => Promise<StoreFixture>,
): Promise<void> {
  for (const [what, check] of Object.entries(cases)) {
    await t.step(what, async () => {
      const fixture = await open();
      try {
        await check(fixture);
      } finally {
        await fixture.close();
      }
    });
  }
}

/** Reads every listed record of the user back. */
async function readRecords(store: MailStore, user: string): Promise<Uint8Array[]> {
  const records = await store.list(user);
  return await Promise.all(records.map((r) => readAll(store.read(user, r))));
}

/** Delivers a message with trace id `id` to the users. */
function deliver(store: MailStore, users: string[], message: string | Uint8Array, id: string): Promise<void> {
  return store.deliver({ users, record: recordOf(message, id) });
}

const ONE = simpleMessage("one", "First.\r\n");
const TWO = "Date: Fri, 27 Nov 2026 09:00:00 +0000\r\nSubject: two\r\n\r\nSecond.\r\n";
const TRICKY = concat([
  bytesOf("From: dots@localhost\r\nTo: Andrew@localhost\r\nSubject: caf\xe9\r\n\r\n"),
  bytesOf(".\r\n..\r\n.x\r\n...\r\nFrom x\r\n \r\n\r\na\n.b\r\nc\r.\r\nend\r\n"),
  Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i),
  bytesOf("\r\n.\r\n"),
]);

/** Message lines that try to shape the record's id or date, among plain ones. */
const HOSTILE_LINE = fc.oneof(
  fc.constantFrom(
    " id FORGED; Tue, 1 Jan 2030 00:00:00 +0000",
    "\tid FORGED;",
    " ;",
    "Received: from x by y with ESMTP id FORGED; Tue, 1 Jan 2030 00:00:00 +0000",
    "From: a@localhost",
    "To: b@localhost",
    "Subject: s",
    "",
    ".",
  ),
  fc.string({ maxLength: 40 }).map((text) => text.replace(/[\r\n]/g, "")),
);

/** One step of the id property: deliver a message of these lines, or delete the listed record at this index. */
const ID_STEP = fc.oneof(
  fc.record({ deliver: fc.array(HOSTILE_LINE, { maxLength: 8 }) }),
  fc.record({ remove: fc.nat(20) }),
);

/** Checks that the store lists exactly `expected` ids, in order, and its maildrop serves the same. */
async function assertIds(store: MailStore, user: string, expected: string[]): Promise<void> {
  assert.deepEqual((await store.list(user)).map((r) => r.id), expected);
  const maildrop = await store.openMaildrop(user);
  try {
    assert.deepEqual(Array.from({ length: maildrop.count }, (_, i) => maildrop.id(i)), expected);
  } finally {
    maildrop.close();
  }
}

/** The contract: what each store must do, as name and check on a fresh fixture. */
const CONTRACT: Record<string, (fixture: StoreFixture) => Promise<void>> = {
  "lists a missing mailbox as empty": async ({ store }) => {
    assert.deepEqual(await store.list("Nobody"), []);
  },
  "lists records with offsets, sizes and header fields": async ({ store }) => {
    await deliver(store, ["Andrew"], ONE, "1abc2def");
    await deliver(store, ["Andrew"], TWO, "9XYZ");
    const [first, second] = await store.list("Andrew");
    const length = concat(recordOf(ONE, "1abc2def")).length;
    assert.deepEqual(first, {
      offset: 0,
      storedLength: length,
      size: sizeOf(ONE, "1abc2def"),
      id: "1abc2def",
      from: "alice@localhost",
      to: "Andrew@localhost",
      subject: "one",
      received: TRACE_TIME,
    });
    assert.equal(second.offset, length);
    assert.equal(second.size, sizeOf(TWO, "9XYZ"));
    assert.deepEqual([second.id, second.subject, second.from], ["9XYZ", "two", ""]);
  },
  "reads back tricky content byte for byte with exact sizes": async ({ store }) => {
    await deliver(store, ["Andrew"], TRICKY, "T1");
    const [record] = await store.list("Andrew");
    assertBytes(await readAll(store.read("Andrew", record)), concat(recordOf(TRICKY, "T1")));
    assert.equal(record.size, sizeOf(TRICKY, "T1"));
    assert.equal(record.subject, "café");
  },
  "stores a message without body and an empty message": async ({ store }) => {
    const headers = "From: a@localhost\r\nTo: b@localhost\r\nSubject: nothing\r\n";
    await deliver(store, ["Andrew"], headers, "H1");
    await deliver(store, ["Andrew"], "", "E1");
    const records = await store.list("Andrew");
    assert.deepEqual(records.map((r) => [r.id, r.subject, r.size]), [
      ["H1", "nothing", sizeOf(headers, "H1")],
      ["E1", "", sizeOf("", "E1")],
    ]);
    assertRecords(await readRecords(store, "Andrew"), [
      concat(recordOf(headers, "H1")),
      concat(recordOf("", "E1")),
    ]);
  },
  "streams a record larger than a read chunk": async ({ store }) => {
    const big = simpleMessage("big", "0123456789abcdef\r\n".repeat(20000));
    await deliver(store, ["Andrew"], ONE, "S1");
    await deliver(store, ["Andrew"], big, "B1");
    assertBytes((await readRecords(store, "Andrew"))[1], concat(recordOf(big, "B1")));
    assert.equal((await store.list("Andrew"))[1].size, sizeOf(big, "B1"));
  },
  "stops reading a record when its stream is cancelled": async ({ store }) => {
    await deliver(store, ["Andrew"], simpleMessage("big", "z".repeat(300000) + "\r\n"), "S2");
    const [record] = await store.list("Andrew");
    const reader = store.read("Andrew", record).getReader();
    const { value } = await reader.read();
    assert.ok(value && value.length > 0 && value.length < record.storedLength);
    await reader.cancel();
  },
  "delivers one copy to each user and keeps users apart": async ({ store }) => {
    await deliver(store, ["Andrew", "Stallings", "Andrew"], ONE, "M1");
    await deliver(store, ["Stallings"], TWO, "M2");
    assert.deepEqual((await store.list("Andrew")).map((r) => r.id), ["M1"]);
    assert.deepEqual((await store.list("Stallings")).map((r) => r.id), ["M1", "M2"]);
    assert.deepEqual(await store.list("Fourouzan"), []);
  },
  "rejects a delivery without users": async ({ store }) => {
    await assert.rejects(store.deliver({ users: [], record: recordOf(ONE, "X") }), TypeError);
  },
  "removes records and keeps those appended after list": async ({ store }) => {
    for (const id of ["R1", "R2", "R3"]) await deliver(store, ["Andrew"], ONE, id);
    const listed = await store.list("Andrew");
    await deliver(store, ["Andrew"], TWO, "R4");
    await store.remove("Andrew", new Set([listed[0].id, listed[2].id]));
    const records = await store.list("Andrew");
    assert.deepEqual(records.map((r) => [r.id, r.offset]), [["R2", 0], ["R4", records[0].storedLength]]);
    assertRecords(await readRecords(store, "Andrew"), [
      concat(recordOf(ONE, "R2")),
      concat(recordOf(TWO, "R4")),
    ]);
  },
  "removes nothing for unknown ids or a missing mailbox": async ({ store }) => {
    await deliver(store, ["Andrew"], ONE, "U1");
    await store.remove("Andrew", new Set(["nope"]));
    await store.remove("Andrew", new Set());
    await store.remove("Nobody", new Set(["U1"]));
    assert.deepEqual((await store.list("Andrew")).map((r) => r.id), ["U1"]);
    await store.remove("Andrew", new Set(["U1"]));
    assert.deepEqual(await store.list("Andrew"), []);
  },
  "keeps every message's id as delivered, whatever its content, through deliveries and deletions": async (
    { store },
  ) => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(ID_STEP, { maxLength: 12 }), async (steps) => {
        const user = `User${run++}`;
        const ids: string[] = [];
        for (const step of steps) {
          if ("deliver" in step) {
            const id = newMessageId();
            await deliver(store, [user], step.deliver.map((line) => `${line}\r\n`).join(""), id);
            ids.push(id);
          } else if (ids.length > 0) {
            const [gone] = ids.splice(step.remove % ids.length, 1);
            await store.remove(user, new Set([gone]));
          }
          await assertIds(store, user, ids);
        }
      }),
      fuzzParams(25),
    );
  },
  "refuses a delivery over the quota whole, for every user, and keeps what fits": async ({ store }) => {
    const length = concat(recordOf(ONE, "Q1")).length;
    const quota = 2 * length + 10;
    await store.deliver({ users: ["Andrew"], record: recordOf(ONE, "Q1"), quota });
    await store.deliver({ users: ["Andrew"], record: recordOf(ONE, "Q2"), quota });
    await assert.rejects(
      store.deliver({ users: ["Stallings", "Andrew"], record: recordOf(ONE, "Q3"), quota }),
      (error) => error instanceof QuotaExceeded && error.user === "Andrew",
    );
    assert.deepEqual((await store.list("Andrew")).map((r) => r.id), ["Q1", "Q2"]);
    assert.deepEqual(await store.list("Stallings"), [], "no copy for the user with room either");
    await store.deliver({ users: ["Andrew"], record: recordOf(ONE, "Q4") });
    assert.equal((await store.list("Andrew")).length, 3, "no quota, no limit");
  },
  "lets exactly as many concurrent deliveries in as the quota holds": async ({ store }) => {
    const length = concat(recordOf(ONE, "C0")).length;
    const results = await Promise.allSettled(
      Array.from(
        { length: 8 },
        (_, i) => store.deliver({ users: ["Andrew"], record: recordOf(ONE, `C${i}`), quota: 3 * length }),
      ),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 3);
    assert.ok(results.every((r) => r.status === "fulfilled" || r.reason instanceof QuotaExceeded));
    assert.equal((await store.list("Andrew")).length, 3);
  },
  "holds the session lock exclusively until released": async ({ store }) => {
    const lock = await store.lockSession("Andrew");
    assert.ok(lock);
    assert.equal(await store.lockSession("Andrew"), null);
    const other = await store.lockSession("Stallings");
    assert.ok(other);
    await lock.release();
    await lock.release();
    const again = await store.lockSession("Andrew");
    assert.ok(again);
    assert.equal(await store.lockSession("Andrew"), null);
    await again.release();
    await other.release();
  },
};

/** The cases that write a mailbox behind the store's back: for stores in the mailbox file format only. */
const RAW_CONTRACT: Record<string, (fixture: RawFixture) => Promise<void>> = {
  "gives a record without trace line a stable content id": async ({ store, appendRaw }) => {
    await appendRaw("Andrew", bytesOf("Subject: hand-made\r\n\r\nbody\r\n.\r\n"));
    const [first] = await store.list("Andrew");
    assert.match(first.id, /^[0-9a-f]{32}$/);
    assert.deepEqual(first.received, new Date(0));
    assert.equal(first.subject, "hand-made");
    await deliver(store, ["Andrew"], ONE, "N1");
    assert.deepEqual((await store.list("Andrew")).map((r) => r.id), [first.id, "N1"]);
  },
  "gives identical records distinct ids, removes only the one asked for, and changes no other id": async (
    { store, appendRaw },
  ) => {
    const twin = bytesOf("Subject: twin\r\nReceived: 27 Nov 2026 09:45\r\n\r\nsame\r\n.\r\n");
    await appendRaw("Andrew", concat([twin, twin]));
    await deliver(store, ["Andrew"], ONE, "D1");
    const ids = (await store.list("Andrew")).map((r) => r.id);
    assert.equal(new Set(ids).size, 3, ids.join(" "));
    assert.equal(ids[2], "D1");
    await store.remove("Andrew", new Set([ids[0]]));
    assert.deepEqual((await store.list("Andrew")).map((r) => r.id), [ids[1], "D1"], "the twin keeps its id");
    await deliver(store, ["Andrew"], TWO, "D2");
    assert.deepEqual(
      (await store.list("Andrew")).map((r) => r.id),
      [ids[1], "D1", "D2"],
      "and keeps it after more mail",
    );
    assertRecords(await readRecords(store, "Andrew"), [twin, concat(recordOf(ONE, "D1")), concat(recordOf(TWO, "D2"))]);
  },
  "ignores a torn last record and cuts it before the next delivery": async ({ store, appendRaw }) => {
    await deliver(store, ["Andrew"], ONE, "K1");
    const torn = concat(recordOf(TWO, "TORN")).slice(0, -1);
    await appendRaw("Andrew", torn);
    assert.deepEqual((await store.list("Andrew")).map((r) => r.id), ["K1"]);
    await deliver(store, ["Andrew"], TWO, "K2");
    const records = await store.list("Andrew");
    assert.deepEqual(records.map((r) => r.id), ["K1", "K2"]);
    assert.equal(records[1].offset, records[0].storedLength);
    assertRecords(await readRecords(store, "Andrew"), [
      concat(recordOf(ONE, "K1")),
      concat(recordOf(TWO, "K2")),
    ]);
  },
};

/** The `MailStore` contract's cases; with `raw`, those for stores in the mailbox file format too. */
export function mailStoreCases(raw: boolean): ContractCases {
  return casesFor(CONTRACT, RAW_CONTRACT, raw);
}

/** Registers the contract tests of a `MailStore` in the mailbox file format, made by `open`. */
export function mailStoreContract(name: string, open: () => Promise<StoreFixture>): void {
  registerCases(name, mailStoreCases(true), open);
}

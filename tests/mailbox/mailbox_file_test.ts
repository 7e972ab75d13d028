import assert from "node:assert/strict";
import { join } from "node:path";
import { appendRecords, withdrawRecord } from "../../lib/mailbox/file/mailbox_file.ts";
import { assertBytes, concat, recordOf, simpleMessage } from "./helpers.ts";

const RECORDS = ["W1", "W2", "W3"].map((id) => recordOf(simpleMessage(id, `${id} body\r\n`), id));

/** Runs `withdrawRecord` on a mailbox of `RECORDS` and returns its result and the file after. */
async function withdraw(record: Uint8Array[]): Promise<{ replaced: boolean; after: Uint8Array; names: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "mailbox_file_test_" });
  try {
    const path = join(dir, "mymailbox");
    await Deno.writeFile(path, concat(RECORDS.flat()));
    const file = await Deno.open(path, { read: true, write: true });
    let replaced: boolean;
    try {
      replaced = await withdrawRecord(file, record, { path, tmpPath: join(dir, "mymailbox.tmp") });
    } finally {
      file.close();
    }
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    return { replaced, after: await Deno.readFile(path), names };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("withdrawRecord replaces the file even for the last record, so an open handle keeps reading its snapshot", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mailbox_file_test_" });
  try {
    const path = join(dir, "mymailbox");
    const all = concat(RECORDS.flat());
    await Deno.writeFile(path, all);
    // A POP3 maildrop opened before the withdrawal.
    const reader = await Deno.open(path, { read: true });
    const file = await Deno.open(path, { read: true, write: true });
    try {
      assert.equal(await withdrawRecord(file, RECORDS[2], { path, tmpPath: join(dir, "mymailbox.tmp") }), true);
      // A delivery after it lands where the withdrawn copy was.
      await Deno.writeFile(path, concat(recordOf(simpleMessage("W4", "W4 other\r\n"), "W4")), { append: true });
      const snapshot = new Uint8Array(all.length);
      assert.equal(await reader.read(snapshot), all.length);
      assertBytes(snapshot, all);
    } finally {
      file.close();
      reader.close();
    }
    const want = concat([...RECORDS[0], ...RECORDS[1], ...recordOf(simpleMessage("W4", "W4 other\r\n"), "W4")]);
    assertBytes(await Deno.readFile(path), want);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("withdrawRecord rewrites the mailbox without a record in the middle", async () => {
  const { replaced, after, names } = await withdraw(RECORDS[1]);
  assert.equal(replaced, true);
  assertBytes(after, concat([...RECORDS[0], ...RECORDS[2]]));
  assert.deepEqual(names, ["mymailbox"]);
});

Deno.test("withdrawRecord leaves a mailbox without the record alone", async () => {
  const { replaced, after } = await withdraw(recordOf(simpleMessage("W9", "W9 body\r\n"), "W9"));
  assert.equal(replaced, false);
  assertBytes(after, concat(RECORDS.flat()));
});

/** Resolves when `promise` does, or after `ms` milliseconds, whichever comes first, leaving no timer behind. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => timer = setTimeout(resolve, ms))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `appendRecords` of the last record onto a mailbox holding the first
 * two, over a handle whose `syncData` does what `sync` says and then ends
 * only once the caller's work has begun (or after 2 s), with work that ends
 * only once the sync has (or after 2 s). Returns the append's outcome,
 * where the work was told the batch starts, the file after, and the order
 * in which the sync, the work and the append began and ended.
 */
async function appendOver(
  sync: (real: () => Promise<void>) => Promise<void>,
): Promise<{ outcome: unknown; toldStart: number | undefined; after: Uint8Array; events: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "mailbox_file_test_" });
  const events: string[] = [];
  const workBegan = Promise.withResolvers<void>();
  const syncEnded = Promise.withResolvers<void>();
  try {
    const path = join(dir, "mymailbox");
    const kept = concat(RECORDS.slice(0, 2).flat());
    await Deno.writeFile(path, kept);
    const file = await Deno.open(path, { read: true, write: true });
    const handle = new Proxy(file, {
      get(target, name) {
        if (name === "syncData") {
          return async () => {
            events.push("sync begins");
            try {
              await within(workBegan.promise, 2000);
              await sync(() => target.syncData());
            } finally {
              events.push("sync ends");
              syncEnded.resolve();
            }
          };
        }
        const value = Reflect.get(target, name);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    let toldStart: number | undefined;
    let outcome: unknown;
    try {
      outcome = await appendRecords(handle, RECORDS[2], kept.length, async (start) => {
        events.push("work begins");
        toldStart = start;
        workBegan.resolve();
        await within(syncEnded.promise, 2000);
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push("work ends");
      }).catch((error: Error) => error);
      events.push("append ends");
    } finally {
      file.close();
    }
    return { outcome, toldStart, after: await Deno.readFile(path), events };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("appendRecords runs the caller's work while the sync runs, told where the batch starts, and waits for it", async () => {
  const before = concat(RECORDS.slice(0, 2).flat()).length;
  const { outcome, toldStart, after, events } = await appendOver((real) => real());
  assert.equal(outcome, before);
  assert.equal(toldStart, before);
  assertBytes(after, concat(RECORDS.flat()));
  assert.deepEqual(events, ["sync begins", "work begins", "sync ends", "work ends", "append ends"]);
});

Deno.test("appendRecords cuts the batch back off when its sync fails, once the work done meanwhile has ended", async () => {
  const before = concat(RECORDS.slice(0, 2).flat()).length;
  const { outcome, toldStart, after, events } = await appendOver(async (real) => {
    await real();
    throw new Error("Input/output error (os error 5)");
  });
  assert.ok(outcome instanceof Error && /os error 5/.test(outcome.message), String(outcome));
  assert.equal(toldStart, before);
  assertBytes(after, concat(RECORDS.slice(0, 2).flat()));
  assert.deepEqual(events, ["sync begins", "work begins", "sync ends", "work ends", "append ends"]);
});

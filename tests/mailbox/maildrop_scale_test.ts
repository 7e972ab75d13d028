/**
 * `FileMailStore.openMaildrop` at the POP3 benchmark's scale: 10,000
 * messages of 4 KiB delivered as the SMTP server stores them, and 100,000
 * small ones written directly. Prints the figures, times included; checks
 * the counts and the memory per record, not the times, as other jobs share
 * the machine.
 *
 * @module
 */

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { FileMailStore } from "../../lib/mailbox/file/file_store.ts";
import type { Maildrop } from "../../lib/mailbox/store.ts";
import { bytesOf, recordOf, simpleMessage, traceLine } from "./helpers.ts";
import type { MaildropMemory } from "./maildrop_memory.ts";

/** A trace id shaped like the SMTP server's: base-36 time and sequence, 12 hex digits. */
function traceId(n: number): string {
  return `${(1767225600000 + n).toString(36)}0.${randomBytes(6).toString("hex")}`;
}

/** Message `n` of about 4 KiB: our client's headers and 64 lines of text. */
function message(n: number): string {
  const line = "The quick brown fox jumps over the lazy dog, again and again.\r\n";
  return simpleMessage(`Message ${n}`, line.repeat(64));
}

/** Delivers `count` messages of 4 KiB to the user, 500 at a time, as concurrent SMTP sessions would. */
async function fill(store: FileMailStore, user: string, count: number): Promise<void> {
  for (let from = 0; from < count; from += 500) {
    const batch = [];
    for (let n = from; n < Math.min(count, from + 500); n++) {
      batch.push(store.deliver({ users: [user], record: recordOf(message(n), traceId(n)) }));
    }
    await Promise.all(batch);
  }
}

/** Median of the times `fn` takes, in milliseconds. */
async function median(rounds: number, fn: () => Promise<void>): Promise<number> {
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(rounds / 2)];
}

/** Reads every record of the maildrop, one after another. */
async function readEvery(maildrop: Maildrop): Promise<void> {
  for (let i = 0; i < maildrop.count; i++) {
    for await (const _ of maildrop.read(i));
  }
}

/** Runs `maildrop_memory.ts` on the user's mailbox in a fresh process. */
async function measureMemory(root: string, user: string): Promise<MaildropMemory> {
  const script = new URL("./maildrop_memory.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--v8-flags=--expose-gc", script, root, user],
  }).output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  return JSON.parse(decoder.decode(stdout));
}

/** Bytes per record of a measured growth. */
function perRecord(memory: MaildropMemory, field: "retained" | "peak"): number {
  return (memory[field].heapUsed + memory[field].external) / memory.count;
}

/** Prints a measurement. */
function report(what: string, memory: MaildropMemory): void {
  const { retained, peak } = memory;
  console.log(
    `${what}: openMaildrop in a new process ${memory.firstMs.toFixed(1)} ms, then ${
      memory.ms.toFixed(1)
    } ms; retained heap ${retained.heapUsed} + external ` +
      `${retained.external} B (${perRecord(memory, "retained").toFixed(1)} B/record); peak ` +
      `${peak.heapUsed} + ${peak.external} B (${perRecord(memory, "peak").toFixed(1)} B/record)`,
  );
}

/** Writes `count` small records in stored form directly, then delivers one more, which writes the index. */
async function writeSmallRecords(store: FileMailStore, root: string, user: string, count: number): Promise<void> {
  await Deno.mkdir(join(root, user));
  const parts: string[] = [];
  for (let n = 0; n < count; n++) {
    parts.push(`From: a@localhost\r\nTo: b@localhost\r\nSubject: ${n}\r\n${traceLine(traceId(n))}\r\n\r\nHi.\r\n.\r\n`);
  }
  await Deno.writeFile(join(root, user, "mymailbox"), bytesOf(parts.join("")));
  await store.deliver({ users: [user], record: recordOf(message(count), traceId(count)) });
}

Deno.test("FileMailStore.openMaildrop on 10,000 messages of 4 KiB and 100,000 small ones", async () => {
  const root = await Deno.makeTempDir({ prefix: "maildrop_scale_" });
  const smtp = new FileMailStore({ root });
  const pop3 = new FileMailStore({ root });
  try {
    await fill(smtp, "Andrew", 10_000);
    const started = performance.now();
    const first = await pop3.openMaildrop("Andrew");
    const firstMs = performance.now() - started;
    const readMs = await median(5, () => readEvery(first));
    first.close();
    const warm = await median(21, async () => (await pop3.openMaildrop("Andrew")).close());
    const list = await median(3, async () => void await pop3.list("Andrew"));
    console.log(
      `10,000 x 4 KiB: openMaildrop first ${firstMs.toFixed(1)} ms, warm ${warm.toFixed(1)} ms ` +
        `(list ${list.toFixed(1)} ms); read of every record one after another ${readMs.toFixed(1)} ms`,
    );
    assert.equal(first.count, 10_000);
    assert.deepEqual([pop3.stats.fullScans, smtp.stats.indexRewrites], [0, 0]);
    await writeSmallRecords(smtp, root, "Stallings", 100_000);
    const small = await measureMemory(root, "Stallings");
    const large = await measureMemory(root, "Andrew");
    report("10,000 x 4 KiB", large);
    report("100,000 small", small);
    assert.deepEqual([large.count, small.count, large.fullScans, small.fullScans], [10_000, 100_001, 0, 0]);
    // Offsets, sizes and where each id is in the index: about 13 octets a record, the ids themselves staying on disk.
    assert.ok(perRecord(small, "retained") < 24, "more than 24 bytes per record kept");
    assert.ok(perRecord(small, "peak") < 48, "more than 48 bytes per record at the peak");
  } finally {
    smtp.close();
    pop3.close();
    await Deno.remove(root, { recursive: true });
  }
});

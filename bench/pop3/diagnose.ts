/**
 * Where our time goes: `FileMailStore.list` (the login path) and its parts,
 * and `FileMailStore.read` (the RETR path), run in-process on the
 * benchmark's mailbox with the page cache warm.
 *
 * @module
 */

import { join } from "node:path";
import { scanFile } from "../../lib/mailbox/file/file_io.ts";
import { FileMailStore } from "../../lib/mailbox/file/file_store.ts";
import { median } from "../report.ts";

/** Median milliseconds of each step of listing one mailbox, and of reading every record. */
export interface ListBreakdown {
  /** Reading the whole file in 256 KiB chunks, doing nothing with them. */
  read: number;
  /** `scanFile`: reading plus `RecordScanner` (record ends, header parsing). */
  scan: number;
  /** `FileMailStore.list`: open, scan, build the `MailRecord` list, close. */
  list: number;
  /** `FileMailStore.lockSession` plus release. */
  lock: number;
  /** `FileMailStore.read` of every record, streams drained, one after another. */
  readAll: number;
  /** Records listed. */
  records: number;
}

async function timeIt(rounds: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return median(times);
}

async function readAll(path: string): Promise<void> {
  using file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(256 * 1024);
  while (await file.read(buf) !== null) {
    // Reading only.
  }
}

/** Times the steps of listing `root/user/mymailbox` and reading it record by record, median of `rounds`. */
export async function breakdownList(root: string, user: string, rounds: number): Promise<ListBreakdown> {
  const path = join(root, user, "mymailbox");
  const store = new FileMailStore({ root });
  const listed = await store.list(user);
  return {
    read: await timeIt(rounds, () => readAll(path)),
    scan: await timeIt(rounds, async () => {
      using file = await Deno.open(path, { read: true });
      await scanFile(file);
    }),
    list: await timeIt(rounds, () => store.list(user)),
    lock: await timeIt(rounds, async () => {
      const lock = await store.lockSession(user);
      await lock?.release();
    }),
    readAll: await timeIt(rounds, async () => {
      for (const record of listed) {
        for await (const _ of store.read(user, record)) {
          // Draining only.
        }
      }
    }),
    records: listed.length,
  };
}

/** One line per step, for the report. */
export function formatBreakdown(b: ListBreakdown): string {
  const f = (v: number) => `${v.toFixed(1)} ms`;
  return [
    `FileMailStore.list of ${b.records} records, in-process, warm page cache (median):`,
    `  read the file only:                ${f(b.read)}`,
    `  scanFile (read + RecordScanner):   ${f(b.scan)}`,
    `  FileMailStore.list (scan + ids):   ${f(b.list)}`,
    `  lockSession + release:             ${f(b.lock)}`,
    `  FileMailStore.read of every record: ${f(b.readAll)} (what RETR of all costs before any socket)`,
  ].join("\n");
}

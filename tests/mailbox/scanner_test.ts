import assert from "node:assert/strict";
import { RecordScanner, scanBytes, type ScannedRecord } from "../../lib/mailbox/scanner.ts";
import { bytesOf, concat, recordOf, simpleMessage, sizeOf } from "./helpers.ts";

/** A record's bytes and what the scanner must report for it. */
interface Case {
  bytes: Uint8Array;
  size: number;
  subject: string;
  id: string | undefined;
}

/** A record built from a message by `buildRecord`. */
function built(message: string | Uint8Array, id: string, subject: string): Case {
  return { bytes: concat(recordOf(message, id)), size: sizeOf(message, id), subject, id };
}

/** A hand-made record given in stored form. */
function raw(stored: string, size: number, subject = ""): Case {
  return { bytes: bytesOf(stored), size, subject, id: undefined };
}

const CASES: Case[] = [
  raw(".\r\n", 0),
  built(simpleMessage("one", "Hi.\r\n"), "A1", "one"),
  raw("..starts with a dot\r\n.\r\n", 20),
  raw(".\r\n", 0),
  raw("\r\nSubject: body, not header\r\n.\r\n", 29),
  raw("Subject: no body\r\n.\r\n", 18, "no body"),
  built(simpleMessage("dots", ".\r\n..\r\n.x\r\nx\n.\r\n\r\n.\r\n"), "B2", "dots"),
  built(`Subject: long\r\nX: ${"h".repeat(70 * 1024)}\r\n\r\nbody\r\n`, "C3", "long"),
  built(simpleMessage("big", `${"line of text\r\n".repeat(5000)}..\r\n`), "D4", "big"),
  raw("Subject: ends with a blank line\r\n\r\n.\r\n", 35, "ends with a blank line"),
];

/** Scans `bytes` pushed in chunks of `size`. */
function scanInChunks(bytes: Uint8Array, size: number): RecordScanner {
  const scanner = new RecordScanner();
  for (let at = 0; at < bytes.length; at += size) {
    scanner.push(bytes.subarray(at, at + size));
  }
  return scanner;
}

/** The reports expected for `cases` stored one after the other. */
function expected(cases: Case[]): Omit<ScannedRecord, "header">[] {
  let offset = 0;
  return cases.map(({ bytes, size }) => {
    const record = { offset, storedLength: bytes.length, size };
    offset += bytes.length;
    return record;
  });
}

Deno.test("RecordScanner finds every record whatever the chunk size", async (t) => {
  const mailbox = concat(CASES.map((c) => c.bytes));
  for (const size of [1, 2, 3, 4, 5, 6, 7, 13, 64, 4093, 65536, mailbox.length]) {
    await t.step(`chunks of ${size}`, () => {
      const scanner = scanInChunks(mailbox, size);
      const got = scanner.records.map(({ offset, storedLength, size }) => ({ offset, storedLength, size }));
      assert.deepEqual(got, expected(CASES));
      assert.deepEqual(scanner.records.map((r) => r.header.subject), CASES.map((c) => c.subject));
      assert.deepEqual(scanner.records.map((r) => r.header.id), CASES.map((c) => c.id));
      assert.equal(scanner.end, mailbox.length);
    });
  }
});

Deno.test("RecordScanner leaves out a torn last record", async (t) => {
  const complete = concat(CASES.slice(0, 3).map((c) => c.bytes));
  const tails = [
    "From: torn\r\nno end",
    "Subject: x\r\n\r\nbody\r\n",
    "Subject: x\r\n.",
    "Subject: x\r\n.\r",
    "x\n.\r\n",
  ];
  for (const tail of tails) {
    await t.step(JSON.stringify(tail), () => {
      for (const size of [1, 3, 1000]) {
        const scanner = scanInChunks(concat([complete, bytesOf(tail)]), size);
        assert.equal(scanner.records.length, 3);
        assert.equal(scanner.end, complete.length);
      }
    });
  }
});

Deno.test("scanBytes finds no record in text without CRLF dot CRLF", () => {
  assert.deepEqual(scanBytes(bytesOf("From: a\n\nbody\n.\n")), { records: [], end: 0 });
  assert.deepEqual(scanBytes(new Uint8Array()), { records: [], end: 0 });
});

Deno.test("RecordScanner caps a header without an empty line", () => {
  const header = `Subject: capped\r\n${"X: y\r\n".repeat(20000)}`;
  const { records } = scanBytes(bytesOf(`${header}.\r\n`));
  assert.equal(records.length, 1);
  assert.equal(records[0].header.subject, "capped");
  assert.equal(records[0].storedLength, header.length + 3);
});

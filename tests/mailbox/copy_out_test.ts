import assert from "node:assert/strict";
import { CopyRow } from "../../lib/mailbox/postgres/copy_out.ts";

/** One tuple of PostgreSQL's binary COPY format: a field count, then each field's length (-1: NULL) and bytes. */
function tuple(fields: (Uint8Array | null)[]): Uint8Array {
  const length = 2 + fields.reduce((sum, f) => sum + 4 + (f?.length ?? 0), 0);
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  view.setInt16(0, fields.length);
  let at = 2;
  for (const field of fields) {
    view.setInt32(at, field === null ? -1 : field.length);
    at += 4;
    if (field !== null) bytes.set(field, at);
    at += field?.length ?? 0;
  }
  return bytes;
}

function int8(value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, value);
  return bytes;
}

Deno.test("CopyRow reads bigints, bytes of any value and NULL from a binary COPY tuple", () => {
  const data = Uint8Array.from([0, 0xff, 0x0d, 0x0a, 0x2e, 0xe9]);
  const bytes = new Uint8Array([9, 9, ...tuple([int8(1234567890123n), data, null])]);
  const row = new CopyRow();
  assert.equal(row.parse(bytes, 2), true);
  assert.equal(row.fields, 3);
  assert.equal(row.int8(0), 1234567890123);
  assert.deepEqual(row.bytes(1), data);
  assert.equal(row.bytes(2), null);
  assert.throws(() => row.int8(2), RangeError);
  assert.throws(() => row.int8(1), RangeError);
});

Deno.test("CopyRow says the trailer ends the rows, and refuses a tuple cut short", () => {
  const row = new CopyRow();
  assert.equal(row.parse(Uint8Array.from([0xff, 0xff]), 0), false);
  const cut = tuple([new Uint8Array(10)]).subarray(0, 12);
  assert.throws(() => row.parse(cut, 0), /cut short/);
});

Deno.test("CopyRow refuses a bigint beyond what a number holds exactly", () => {
  const row = new CopyRow();
  row.parse(tuple([int8(2n ** 60n)]), 0);
  assert.throws(() => row.int8(0), RangeError);
});

Deno.test("CopyRow gives plain arrays, whose slice() is a copy, for a Buffer's bytes", async () => {
  const { Buffer } = await import("node:buffer");
  const row = new CopyRow();
  row.parse(Buffer.from(tuple([Uint8Array.of(1, 2, 3)])), 0);
  const copy = row.bytes(0)!.slice();
  row.bytes(0)!.fill(9);
  assert.deepEqual(copy, Uint8Array.of(1, 2, 3));
});

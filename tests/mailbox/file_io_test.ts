import assert from "node:assert/strict";
import { join } from "node:path";
import { MAIN_THREAD_WRITE, writeChunks } from "../../lib/mailbox/file/file_io.ts";
import { appendRecords } from "../../lib/mailbox/file/mailbox_file.ts";
import { assertBytes, concat } from "./helpers.ts";

/** `length` octets counting up from `seed`, so that a piece out of place shows. */
function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed + i) % 251);
}

/**
 * Opens a file holding `before`, positioned at its end, through a handle
 * that counts its synchronous and asynchronous writes; `failWrite` makes
 * the asynchronous write take half of what it is given and then fail.
 */
async function countingFile(dir: string, before: Uint8Array, failWrite = false) {
  const path = join(dir, "mymailbox");
  await Deno.writeFile(path, before);
  const file = await Deno.open(path, { read: true, write: true });
  file.seekSync(0, Deno.SeekMode.End);
  const calls = { writeSync: 0, write: 0, given: [] as Uint8Array[] };
  const handle = new Proxy(file, {
    get(target, name) {
      if (name === "writeSync") {
        return (data: Uint8Array) => {
          calls.writeSync++;
          return target.writeSync(data);
        };
      }
      if (name === "write") {
        return async (data: Uint8Array) => {
          calls.write++;
          calls.given.push(data);
          if (!failWrite) return await target.write(data);
          await target.write(data.subarray(0, data.length >> 1));
          throw new Error("No space left on device (os error 28)");
        };
      }
      const value = Reflect.get(target, name);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { path, file, handle, calls };
}

/** Runs `fn` in a fresh temporary directory, removed afterwards. */
async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "file_io_test_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `writeChunks` of `chunks` onto a file holding 100 octets; checks what the file holds after, returns the calls made. */
async function writeOnto(chunks: Uint8Array[]): Promise<{ writeSync: number; write: number; given: Uint8Array[] }> {
  return await inTempDir(async (dir) => {
    const before = bytes(100, 7);
    const { path, file, handle, calls } = await countingFile(dir, before);
    try {
      await writeChunks(handle, chunks);
    } finally {
      file.close();
    }
    assertBytes(await Deno.readFile(path), concat([before, ...chunks]));
    return calls;
  });
}

Deno.test("writeChunks writes a batch of up to MAIN_THREAD_WRITE octets from the main thread, in one write", async () => {
  const chunks = [bytes(1000, 1), new Uint8Array(0), bytes(MAIN_THREAD_WRITE - 1100, 2), bytes(100, 3)];
  const { writeSync, write } = await writeOnto(chunks);
  assert.deepEqual({ writeSync, write }, { writeSync: 1, write: 0 });
});

Deno.test("writeChunks hands a larger batch to the blocking thread pool, in order, a chunk over 1 MiB as it is", async () => {
  const big = bytes(1024 * 1024 + 3, 3);
  const calls = await writeOnto([bytes(MAIN_THREAD_WRITE, 1), bytes(1, 2), big, bytes(5000, 4)]);
  assert.equal(calls.writeSync, 0);
  // The two small chunks gathered, then the big one as it is (not copied), then the last one.
  assert.equal(calls.write, 3);
  assert.ok(calls.given[1].buffer === big.buffer && calls.given[1].byteOffset === 0, "the big chunk was copied");
});

Deno.test("appendRecords cuts a batch back off when its write through the pool fails half-way", async () => {
  await inTempDir(async (dir) => {
    const before = concat([bytes(300, 7), new TextEncoder().encode("\r\n.\r\n")]);
    const { path, file, handle, calls } = await countingFile(dir, before, true);
    let outcome: unknown;
    try {
      outcome = await appendRecords(handle, [bytes(MAIN_THREAD_WRITE + 1, 1)], before.length).catch((error) => error);
    } finally {
      file.close();
    }
    assert.ok(outcome instanceof Error && /os error 28/.test(outcome.message), String(outcome));
    assert.equal(calls.write, 1);
    assertBytes(await Deno.readFile(path), before);
  });
});

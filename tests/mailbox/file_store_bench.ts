/**
 * Benchmarks of `FileMailStore`: `deno bench --allow-all tests/mailbox/`.
 *
 * - list: a mailbox of 10,000 messages of 4 KiB (about 40 MB);
 * - openMaildrop: the same mailbox, its index written by one delivery,
 *   then reading every record through the maildrop;
 * - deliver: 50 concurrent delivery loops of 20 messages of 4 KiB each, so
 *   messages per second = 1,000 / time per iteration.
 *
 * @module
 */

import { join } from "node:path";
import { FileMailStore } from "../../lib/mailbox/file/file_store.ts";
import { concat, recordOf, simpleMessage } from "./helpers.ts";

const root = await Deno.makeTempDir({ prefix: "mailbox_bench_" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

/** A message of about 4 KiB: our client's headers and 58 lines of text. */
function message(n: number): string {
  const line = "The quick brown fox jumps over the lazy dog, again and again.\r\n";
  return simpleMessage(`Message ${n}`, line.repeat(64));
}

const store = new FileMailStore({ root });
const MESSAGES = 10_000;
const chunks: Uint8Array[] = [];
for (let n = 0; n < MESSAGES; n++) chunks.push(...recordOf(message(n), `B${n}`));
await Deno.mkdir(join(root, "Andrew"));
await Deno.writeFile(join(root, "Andrew", "mymailbox"), concat(chunks));
// One more delivery writes the index of the whole mailbox.
await store.deliver({ users: ["Andrew"], record: recordOf(message(MESSAGES), `B${MESSAGES}`) });

Deno.bench("FileMailStore.list 10,000 messages of 4 KiB", { n: 20 }, async () => {
  const records = await store.list("Andrew");
  if (records.length !== MESSAGES + 1) throw new Error(`Listed ${records.length} records`);
});

Deno.bench("FileMailStore.openMaildrop 10,000 messages of 4 KiB", { n: 50 }, async () => {
  const maildrop = await store.openMaildrop("Andrew");
  maildrop.close();
  if (maildrop.count !== MESSAGES + 1) throw new Error(`Opened ${maildrop.count} records`);
});

Deno.bench("Maildrop.read of 10,000 messages of 4 KiB, one after another", { n: 10 }, async () => {
  const maildrop = await store.openMaildrop("Andrew");
  try {
    for (let i = 0; i < maildrop.count; i++) {
      for await (const _ of maildrop.read(i));
    }
  } finally {
    maildrop.close();
  }
});

let batch = 0;
Deno.bench("FileMailStore.deliver 50 loops x 20 messages of 4 KiB", { n: 10 }, async () => {
  batch++;
  await Promise.all(Array.from({ length: 50 }, async (_, loop) => {
    for (let n = 0; n < 20; n++) {
      const id = `D${batch}L${loop}N${n}`;
      await store.deliver({ users: ["Stallings"], record: recordOf(message(n), id) });
    }
  }));
});

import assert from "node:assert/strict";
import { MemoryMailStore } from "../../lib/mailbox/memory_store.ts";
import { mailStoreContract, type StoreFixture } from "./contract.ts";
import { bytesOf, concat, recordOf, simpleMessage } from "./helpers.ts";
import { maildropContract } from "./maildrop_contract.ts";

/** A fresh store. */
function openFixture(): Promise<StoreFixture> {
  const store = new MemoryMailStore();
  return Promise.resolve({
    store,
    appendRaw: (user: string, bytes: Uint8Array) => Promise.resolve(store.appendRaw(user, bytes)),
    close: () => Promise.resolve(),
  });
}

mailStoreContract("MemoryMailStore", openFixture);
maildropContract("MemoryMailStore", openFixture);

const MESSAGE = simpleMessage("knobs", "Body.\r\n");

Deno.test("MemoryMailStore.failNextDeliveries rejects that many deliveries", async () => {
  const store = new MemoryMailStore();
  store.failNextDeliveries(2);
  for (const id of ["F1", "F2"]) {
    await assert.rejects(
      store.deliver({ users: ["Andrew", "Stallings"], record: recordOf(MESSAGE, id) }),
      /injected failure/,
    );
  }
  assert.deepEqual(store.records("Andrew"), []);
  await store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, "F3") });
  assert.deepEqual(store.records("Andrew"), [concat(recordOf(MESSAGE, "F3"))]);
});

Deno.test("MemoryMailStore.failRemove rejects and keeps the mailbox", async () => {
  const store = new MemoryMailStore();
  await store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, "G1") });
  store.failRemove = true;
  await assert.rejects(store.remove("Andrew", new Set(["G1"])), /injected failure/);
  assert.equal(store.records("Andrew").length, 1);
  store.failRemove = false;
  await store.remove("Andrew", new Set(["G1"]));
  assert.deepEqual(store.records("Andrew"), []);
});

Deno.test("MemoryMailStore.bytes shows a torn tail that records leaves out", async () => {
  const store = new MemoryMailStore();
  await store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, "B1") });
  store.appendRaw("Andrew", bytesOf("torn"));
  const record = concat(recordOf(MESSAGE, "B1"));
  assert.deepEqual(store.bytes("Andrew"), concat([record, bytesOf("torn")]));
  assert.deepEqual(store.records("Andrew"), [record]);
});

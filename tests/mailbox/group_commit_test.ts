import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { GroupCommit } from "../../lib/mailbox/file/group_commit.ts";

/** A flush that records its batches and waits until released. */
function gatedFlush() {
  const batches: string[][] = [];
  const gates: PromiseWithResolvers<void>[] = [];
  const flush = (key: string, items: string[]) => {
    batches.push([key, ...items]);
    const gate = Promise.withResolvers<void>();
    gates.push(gate);
    return gate.promise;
  };
  return { batches, gates, flush };
}

/** Lets pending promise callbacks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("GroupCommit flushes items that wait during a flush as one batch", async () => {
  const { batches, gates, flush } = gatedFlush();
  const commit = new GroupCommit<string>(flush);
  const first = commit.submit("u", "a");
  const rest = ["b", "c", "d"].map((item) => commit.submit("u", item));
  assert.deepEqual(batches, [["u", "a"]]);
  gates[0].resolve();
  await first;
  await settle();
  assert.deepEqual(batches, [["u", "a"], ["u", "b", "c", "d"]]);
  gates[1].resolve();
  await Promise.all(rest);
});

Deno.test("GroupCommit rejects only the batch whose flush failed", async () => {
  const { gates, flush } = gatedFlush();
  const commit = new GroupCommit<string>(flush);
  const first = commit.submit("u", "a");
  const second = commit.submit("u", "b");
  const failure = new Error("disk full");
  gates[0].reject(failure);
  await assert.rejects(first, failure);
  await settle();
  gates[1].resolve();
  await second;
});

Deno.test("GroupCommit flushes different keys at the same time", async () => {
  const { batches, gates, flush } = gatedFlush();
  const commit = new GroupCommit<string>(flush);
  const done = [commit.submit("u", "a"), commit.submit("v", "b")];
  assert.deepEqual(batches, [["u", "a"], ["v", "b"]]);
  for (const gate of gates) gate.resolve();
  await Promise.all(done);
  const again = commit.submit("u", "c");
  assert.deepEqual(batches.at(-1), ["u", "c"]);
  gates[2].resolve();
  await again;
});

Deno.test("GroupCommit rejects only the items a flush leaves out, with the reason it gives", async () => {
  const commit = new GroupCommit<string>((_key, items) =>
    Promise.resolve(items.map((item) => item.startsWith("x") ? new Error(`no ${item}`) : undefined))
  );
  const results = await Promise.allSettled(["a", "xb", "c"].map((item) => commit.submit("u", item)));
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
  assert.equal((results[1] as PromiseRejectedResult).reason.message, "no xb");
});

Deno.test("GroupCommit gathers a turn's items for a key that had items waiting in its last run; a lone writer's goes at once", async () => {
  const { batches, gates, flush } = gatedFlush();
  const commit = new GroupCommit<string>(flush);
  const busy = ["a", "b", "c"].map((item) => commit.submit("u", item));
  gates[0].resolve();
  await settle();
  gates[1].resolve();
  await Promise.all(busy);
  assert.deepEqual(batches, [["u", "a"], ["u", "b", "c"]]);
  // Items came while a flush ran: the next item waits for the others of its turn.
  const gathered = [commit.submit("u", "d")];
  await Promise.resolve();
  gathered.push(commit.submit("u", "e"));
  assert.equal(batches.length, 2);
  // Immediates run in the order they were set: this one comes after the store's.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(batches.at(-1), ["u", "d", "e"]);
  gates[2].resolve();
  await Promise.all(gathered);
  // That run flushed once: the key is a lone writer's again, and its next item is flushed at once.
  const alone = commit.submit("u", "f");
  assert.deepEqual(batches.at(-1), ["u", "f"]);
  gates[3].resolve();
  await alone;
});

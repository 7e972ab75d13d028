/**
 * ConnectionCaps: the caps in all and per address, and the choice of the
 * session evicted when the server is full: of the address with the most
 * sessions (at least two more than the newcomer's), the one longest without
 * progress, never a protected one.
 */

import assert from "node:assert/strict";
import { ConnectionCaps, type Slot } from "../../lib/net/slots.ts";

/** Takes a slot that must be granted. */
function take(caps: ConnectionCaps, key: string): { slot: Slot; evicted?: Slot } {
  const taken = caps.take(key, key);
  if ("refusal" in taken) assert.fail(`${key} refused: ${taken.refusal}`);
  return taken;
}

Deno.test("ConnectionCaps refuses past the per-address cap, and past the total when nobody has two more", () => {
  const caps = new ConnectionCaps({ maxConnections: 3, maxConnectionsPerAddress: 2 });
  take(caps, "a");
  take(caps, "a");
  assert.deepEqual(caps.take("a", "a"), { refusal: "address" });
  const b = take(caps, "b").slot;
  assert.deepEqual(caps.take("b", "b"), { refusal: "busy" }, "a holds 2, b 1: a would be left with fewer than b");
  caps.release(b);
  take(caps, "c");
  assert.deepEqual(caps.take("c", "c"), { refusal: "busy" });
  assert.equal(caps.open, 3);
});

Deno.test("ConnectionCaps evicts the most represented address's session longest without progress", async () => {
  const caps = new ConnectionCaps({ maxConnections: 5, maxConnectionsPerAddress: 10 });
  const a = [take(caps, "a").slot, take(caps, "a").slot, take(caps, "a").slot];
  await new Promise((resolve) => setTimeout(resolve, 5));
  a[0].progress();
  const b = [take(caps, "b").slot, take(caps, "b").slot];
  const { slot: c, evicted } = take(caps, "c");
  assert.equal(evicted, a[1], "a has 3, b 2: a's oldest without progress (a[0] made some since)");
  assert.ok(evicted.evicted && evicted.signal.aborted);
  assert.equal(caps.open, 5);
  caps.release(evicted);
  assert.equal(caps.open, 5, "releasing an evicted slot again changes nothing");
  assert.equal(take(caps, "d").evicted, a[2], "a and b hold 2 each: the older without progress goes");
  assert.equal(take(caps, "e").evicted, b[0], "now only b holds 2");
  assert.deepEqual(caps.take("f", "f"), { refusal: "busy" }, "one each");
  caps.release(c);
  assert.equal(take(caps, "f").evicted, undefined, "a free place needs no eviction");
  assert.ok(!a[0].evicted && !b[1].evicted);
});

Deno.test("ConnectionCaps never evicts a protected session, and abortAll aborts without evicting", () => {
  const caps = new ConnectionCaps({ maxConnections: 3, maxConnectionsPerAddress: 10 });
  const held = [take(caps, "a").slot, take(caps, "a").slot, take(caps, "a").slot];
  for (const slot of held) slot.protect();
  assert.deepEqual(caps.take("b", "b"), { refusal: "busy" });
  caps.abortAll();
  for (const slot of held) assert.ok(slot.signal.aborted && !slot.evicted);
});

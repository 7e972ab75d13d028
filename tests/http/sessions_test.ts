import assert from "node:assert/strict";
import { SessionTable } from "../../lib/http/sessions.ts";

Deno.test("SessionTable tokens name their user until they expire or end, and stay bounded", () => {
  let now = 1000;
  const table = new SessionTable({ lifetimeMs: 100, maxSessions: 2, now: () => now });
  const a = table.create("Andrew");
  assert.equal(table.user(a.token), "Andrew");
  assert.equal(table.user("forged"), undefined);
  table.end(a.token);
  assert.equal(table.user(a.token), undefined);
  const b = table.create("Andrew");
  const c = table.create("Stallings");
  const d = table.create("Fourouzan");
  assert.deepEqual([table.user(b.token), table.user(c.token), table.user(d.token)], [
    undefined,
    "Stallings",
    "Fourouzan",
  ]);
  now += 100;
  assert.equal(table.user(c.token), undefined);
});

Deno.test("SessionTable CSRF tokens belong to one session token", () => {
  const table = new SessionTable({ lifetimeMs: 100, maxSessions: 10 });
  const a = table.create("Andrew").token;
  const b = table.create("Andrew").token;
  assert.ok(table.checkCsrf(a, table.csrf(a)));
  assert.ok(!table.checkCsrf(a, table.csrf(b)));
  assert.ok(!table.checkCsrf(a, ""));
  assert.ok(!table.checkCsrf(a, null));
});

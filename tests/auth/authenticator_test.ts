import assert from "node:assert/strict";
import { logLine } from "../../lib/log.ts";
import { Authenticator, type AuthenticatorOptions, type LoginAttempt } from "../../lib/auth/authenticator.ts";
import type { Clock } from "../../lib/auth/clock.ts";
import { parseUsers } from "../../lib/auth/users.ts";

/** A clock that only moves when told; sleeping records the delay and returns at once, time standing still. */
class FakeClock implements Clock {
  time = 1_000_000;
  slept: number[] = [];
  now(): number {
    return this.time;
  }
  sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    return Promise.resolve();
  }
}

const USERS = parseUsers("Stallings network$security\nAndrew @dministr@tor\n");

function setUp(options: Partial<AuthenticatorOptions> = {}) {
  const clock = new FakeClock();
  const lines: string[] = [];
  const auth = new Authenticator({
    users: USERS,
    failedLoginDelayMs: 100,
    lockoutAfter: 4,
    lockoutMs: 60_000,
    clock,
    log: (line) => lines.push(line),
    ...options,
  });
  return { auth, clock, lines };
}

function attempt(name: string, password: string, clientAddress = "192.0.2.1", sessionFailures = 0): LoginAttempt {
  return { name, password, clientAddress, service: "pop3", sessionFailures };
}

Deno.test("Authenticator accepts a right password at once and names the canonical user", async () => {
  const { auth, clock } = setUp();
  assert.deepEqual(await auth.authenticate(attempt("andrew", "@dministr@tor")), { ok: true, user: "Andrew" });
  assert.deepEqual(clock.slept, []);
});

Deno.test("Authenticator answers a failure late, doubling with the session's failures, at most 8 s", async () => {
  const { auth, clock, lines } = setUp({ lockoutAfter: 100 });
  for (const [i, failures] of [0, 1, 2, 10].entries()) {
    const result = await auth.authenticate(attempt(`user${i}`, "x", `198.51.100.${i}`, failures));
    assert.deepEqual(result, { ok: false, reason: "invalid" });
  }
  assert.deepEqual(clock.slept, [100, 200, 400, 8000], "new addresses and names: only the session counts");
  assert.match(
    lines[0],
    /^\S+Z pop3 login failed client=198\.51\.100\.0 user="user0" failures=1 address_failures=1 user_failures=1$/,
  );
  await auth.authenticate(attempt("Andrew", "a-secret-guess"));
  assert.ok(lines.every((line) => !line.includes("a-secret-guess")), "no password in the log");
});

Deno.test("Authenticator quotes a user name in its log line, and the log escapes what JSON leaves", async () => {
  const { auth, lines } = setUp();
  await auth.authenticate(attempt('evil\n\x7f\u009b2J\u0085\u2028\u2029" forged=1', "x"));
  assert.equal(lines.length, 1);
  const written = logLine(lines[0]);
  assert.ok(/^[\x20-\x7e]*$/.test(written), `only printable ASCII: ${JSON.stringify(written)}`);
  assert.match(written, / user="evil\\n\\u007f\\u009b2J\\u0085\\u2028\\u2029\\" forged=1" failures=1 /);
});

Deno.test("Authenticator paces an address's parallel checks once it has failed 3 times, whatever the names", async () => {
  const { auth, clock } = setUp({ lockoutAfter: 100 });
  const names = ["a", "b", "c", "d", "e", "f"];
  const results = await Promise.all(names.map((name) => auth.authenticate(attempt(name, "x"))));
  assert.ok(results.every((r) => !r.ok));
  const answers = Array(6).fill(100);
  assert.deepEqual(clock.slept.toSorted((x, y) => x - y), [...answers, 100, 200, 400].toSorted((x, y) => x - y));
  clock.slept = [];
  await auth.authenticate(attempt("Andrew", "@dministr@tor", "192.0.2.99"));
  assert.deepEqual(clock.slept, [], "another address is not paced");
  assert.equal((await auth.authenticate(attempt("Andrew", "@dministr@tor"))).ok, true, "paced, not refused");
  assert.deepEqual(clock.slept, [800], "its 7th check waits 8 times the delay after the last");
});

Deno.test("Authenticator refuses checks beyond 8 waiting for one address", async () => {
  const { auth, lines } = setUp({ lockoutAfter: 100 });
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => auth.authenticate(attempt(`u${i}`, "x"))));
  assert.equal(results.filter((r) => !r.ok && r.reason === "locked").length, 2);
  assert.equal(lines.filter((line) => / login refused .* reason=throttled$/.test(line)).length, 2);
});

Deno.test("Authenticator blocks an address for a user after lockoutAfter failures, and only that", async () => {
  const { auth, clock, lines } = setUp();
  for (let i = 0; i < 4; i++) await auth.authenticate(attempt("Andrew", "x"));
  assert.match(lines[3], /failures=1 address_failures=4 user_failures=4 blocked=address-for-user$/);
  const slept = clock.slept.length;
  assert.deepEqual(await auth.authenticate(attempt("andrew", "@dministr@tor")), { ok: false, reason: "locked" });
  assert.equal(clock.slept.length, slept, "refused at once, without a check");
  assert.match(lines.at(-1)!, /pop3 login refused client=192\.0\.2\.1 user="andrew" reason=blocked until=\S+Z$/);
  assert.deepEqual(
    await auth.authenticate(attempt("Andrew", "@dministr@tor", "192.0.2.9")),
    { ok: true, user: "Andrew" },
    "another address logs in as that user",
  );
  assert.deepEqual(
    await auth.authenticate(attempt("Stallings", "network$security")),
    { ok: true, user: "Stallings" },
    "the address logs in as another user",
  );
  clock.time += 60_000;
  assert.deepEqual(await auth.authenticate(attempt("Andrew", "@dministr@tor")), { ok: true, user: "Andrew" });
});

Deno.test("Authenticator paces, never blocks, a user name that failed lockoutAfter times from many addresses", async () => {
  const { auth, clock } = setUp();
  for (let i = 1; i <= 4; i++) await auth.authenticate(attempt("ANDREW", "x", `198.51.100.${i}`));
  clock.slept = [];
  assert.deepEqual(await auth.authenticate(attempt("andrew", "@dministr@tor", "203.0.113.1")), {
    ok: true,
    user: "Andrew",
  });
  assert.deepEqual(clock.slept, [100], "one delay's wait after the last check of the name");
});

Deno.test("Authenticator forgets only the address's failures for that name after a success", async () => {
  const { auth, clock } = setUp();
  for (const name of ["Andrew", "Andrew", "Stallings"]) await auth.authenticate(attempt(name, "x"));
  await auth.authenticate(attempt("Andrew", "@dministr@tor"));
  assert.deepEqual(auth.tracked, { addresses: 1, users: 2, pairs: 1 });
  clock.slept = [];
  await auth.authenticate(attempt("Andrew", "x"));
  assert.deepEqual(clock.slept, [100, 100], "still paced: one's own account buys no more guesses");
});

Deno.test("Authenticator forgets failures 15 minutes after the last one", async () => {
  const { auth, clock } = setUp();
  for (const name of ["Andrew", "Andrew", "Andrew", "Stallings"]) await auth.authenticate(attempt(name, "x"));
  clock.time += 15 * 60_000;
  clock.slept = [];
  assert.equal((await auth.authenticate(attempt("Andrew", "@dministr@tor"))).ok, true, "not blocked");
  assert.deepEqual(clock.slept, [], "not paced");
});

Deno.test("Authenticator counts an IPv6 /64 as one address, and IPv4-mapped addresses as IPv4", async () => {
  const { auth } = setUp();
  for (const address of ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3", "2001:0db8:0001:0002::4"]) {
    await auth.authenticate(attempt("Andrew", "x", address));
  }
  assert.equal((await auth.authenticate(attempt("Andrew", "@dministr@tor", "2001:db8:1:2::99"))).ok, false);
  assert.equal((await auth.authenticate(attempt("Andrew", "@dministr@tor", "2001:db8:1:3::1"))).ok, true);
  for (let i = 0; i < 4; i++) await auth.authenticate(attempt("Stallings", "x", "::ffff:192.0.2.7"));
  assert.equal((await auth.authenticate(attempt("Stallings", "network$security", "192.0.2.7"))).ok, false);
});

Deno.test("Authenticator keeps at most maxTracked addresses, user names and pairs", async () => {
  const { auth } = setUp({ maxTracked: 50 });
  for (let i = 0; i < 300; i++) await auth.authenticate(attempt(`spray${i}`, "x", `10.0.${i >> 8}.${i & 255}`));
  assert.deepEqual(auth.tracked, { addresses: 50, users: 50, pairs: 50 });
});

Deno.test("Authenticator does not reveal the result of an attempt checked after a parallel one blocked", async () => {
  const { auth, clock } = setUp({ lockoutAfter: 1 });
  const results = await Promise.all([
    auth.authenticate(attempt("Andrew", "x")),
    auth.authenticate(attempt("Andrew", "@dministr@tor")),
  ]);
  assert.deepEqual(results, [{ ok: false, reason: "invalid" }, { ok: false, reason: "locked" }]);
  assert.deepEqual(clock.slept.toSorted(), [100, 100], "the name's pace, and the failure's answer");
});

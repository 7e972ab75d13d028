import assert from "node:assert/strict";
import { logLine } from "../../lib/log.ts";
import {
  Authenticator,
  type AuthenticatorOptions,
  type Clock,
  type LoginAttempt,
} from "../../lib/auth/authenticator.ts";
import { parseUsers } from "../../lib/users.ts";

/** A clock that only moves when told; sleeping records the delay and returns at once. */
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

Deno.test("Authenticator delays failures, doubling with the most failures of session, address or user", async () => {
  const { auth, clock, lines } = setUp({ lockoutAfter: 100 });
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await auth.authenticate(attempt("Andrew", "x")), { ok: false, reason: "invalid" });
  }
  assert.deepEqual(clock.slept, [100, 200, 400], "one address, one user: 1st, 2nd, 3rd failure");
  await auth.authenticate(attempt("Stallings", "x", "192.0.2.2", 5));
  assert.equal(clock.slept[3], 3200, "a session's sixth failure, though new address and user");
  await auth.authenticate(attempt("Stallings", "x", "192.0.2.1"));
  assert.equal(clock.slept[4], 800, "the address's fourth failure");
  for (let i = 0; i < 10; i++) await auth.authenticate(attempt("Andrew", "x"));
  assert.equal(clock.slept.at(-1), 8000, "at most 8 s");
  assert.match(
    lines[0],
    /^\S+Z pop3 login failed client=192\.0\.2\.1 user="Andrew" failures=1 address_failures=1 user_failures=1$/,
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

Deno.test("Authenticator locks an address out after lockoutAfter failures, without checking passwords", async () => {
  const { auth, clock, lines } = setUp();
  for (const name of ["Andrew", "Stallings", "nobody", "Andrew"]) await auth.authenticate(attempt(name, "x"));
  assert.match(lines[3], /failures=1 address_failures=4 user_failures=2 locked=address$/);
  const slept = clock.slept.length;
  assert.deepEqual(await auth.authenticate(attempt("Andrew", "@dministr@tor")), { ok: false, reason: "locked" });
  assert.deepEqual(await auth.authenticate(attempt("Stallings", "wrong")), { ok: false, reason: "locked" });
  assert.equal(clock.slept.length, slept, "refused at once");
  assert.match(lines.at(-1)!, /pop3 login refused client=192\.0\.2\.1 user="Stallings" locked_until=\S+Z$/);
  assert.deepEqual(
    await auth.authenticate(attempt("Andrew", "@dministr@tor", "192.0.2.9")),
    { ok: true, user: "Andrew" },
    "another address is not locked",
  );
  clock.time += 60_000;
  assert.deepEqual(await auth.authenticate(attempt("Stallings", "network$security")), { ok: true, user: "Stallings" });
});

Deno.test("Authenticator locks a user name out after lockoutAfter failures from any addresses", async () => {
  const { auth, clock, lines } = setUp();
  for (let i = 1; i <= 4; i++) await auth.authenticate(attempt("ANDREW", "x", `198.51.100.${i}`));
  assert.match(lines[3], /address_failures=1 user_failures=4 locked=user$/);
  assert.deepEqual(await auth.authenticate(attempt("andrew", "@dministr@tor", "203.0.113.1")), {
    ok: false,
    reason: "locked",
  });
  assert.deepEqual(await auth.authenticate(attempt("Stallings", "network$security", "198.51.100.1")), {
    ok: true,
    user: "Stallings",
  });
  clock.time += 59_999;
  assert.equal((await auth.authenticate(attempt("Andrew", "@dministr@tor", "203.0.113.1"))).ok, false);
  clock.time += 1;
  assert.equal((await auth.authenticate(attempt("Andrew", "@dministr@tor", "203.0.113.1"))).ok, true);
});

Deno.test("Authenticator forgets an address's and user's failures after a successful login", async () => {
  const { auth, clock } = setUp();
  for (let i = 0; i < 3; i++) await auth.authenticate(attempt("Andrew", "x"));
  await auth.authenticate(attempt("Andrew", "@dministr@tor"));
  assert.deepEqual(auth.tracked, { addresses: 0, users: 0 });
  await auth.authenticate(attempt("Andrew", "x"));
  assert.equal(clock.slept.at(-1), 100, "back to the first delay");
});

Deno.test("Authenticator forgets failures 15 minutes after the last one", async () => {
  const { auth, clock } = setUp();
  for (let i = 0; i < 3; i++) await auth.authenticate(attempt("Andrew", "x"));
  clock.time += 15 * 60_000;
  await auth.authenticate(attempt("Andrew", "x"));
  assert.equal(clock.slept.at(-1), 100);
  assert.equal((await auth.authenticate(attempt("Andrew", "@dministr@tor"))).ok, true, "not locked");
});

Deno.test("Authenticator counts an IPv6 /64 as one address, and IPv4-mapped addresses as IPv4", async () => {
  const { auth } = setUp();
  for (const address of ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3", "2001:0db8:0001:0002::4"]) {
    await auth.authenticate(attempt(`user${address.length}${address.at(-1)}`, "x", address));
  }
  assert.equal((await auth.authenticate(attempt("Andrew", "@dministr@tor", "2001:db8:1:2::99"))).ok, false);
  assert.equal((await auth.authenticate(attempt("Andrew", "@dministr@tor", "2001:db8:1:3::1"))).ok, true);
  for (let i = 0; i < 4; i++) await auth.authenticate(attempt(`u${i}`, "x", "::ffff:192.0.2.7"));
  assert.equal((await auth.authenticate(attempt("Andrew", "@dministr@tor", "192.0.2.7"))).ok, false);
});

Deno.test("Authenticator keeps at most maxTracked addresses and user names", async () => {
  const { auth } = setUp({ maxTracked: 50 });
  for (let i = 0; i < 300; i++) await auth.authenticate(attempt(`spray${i}`, "x", `10.0.${i >> 8}.${i & 255}`));
  assert.deepEqual(auth.tracked, { addresses: 50, users: 50 });
});

Deno.test("Authenticator does not reveal the result of an attempt checked while a parallel one locked", async () => {
  const { auth, clock } = setUp({ lockoutAfter: 1 });
  const results = await Promise.all([
    auth.authenticate(attempt("Andrew", "x")),
    auth.authenticate(attempt("Andrew", "@dministr@tor")),
  ]);
  assert.deepEqual(results, [{ ok: false, reason: "invalid" }, { ok: false, reason: "locked" }]);
  assert.deepEqual(clock.slept, [100]);
});

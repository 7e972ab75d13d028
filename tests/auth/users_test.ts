import assert from "node:assert/strict";
import { hashPassword, type ScryptCost } from "../../lib/auth/password_hash.ts";
import { parseUsers } from "../../lib/auth/users.ts";
import { REPO_ROOT, runWithInput } from "../helpers/server_process.ts";

/** Cheap enough to hash many times, costly enough (a few ms) to be timed against a plain comparison. */
const COST: ScryptCost = { logN: 12, r: 8, p: 1 };
const SEED = "Stallings network$security\nFourouzan d@t@comm\nAndrew @dministr@tor\n";

Deno.test("UserDb.verify checks the assignment's plaintext passwords exactly, names in any case", async () => {
  const users = parseUsers(SEED);
  assert.equal(await users.verify("Stallings", "network$security"), "Stallings");
  assert.equal(await users.verify("stallings", "network$security"), "Stallings");
  assert.equal(await users.verify("Stallings", "network$Security"), undefined);
  assert.equal(await users.verify("Stallings", "network$security "), undefined);
  assert.equal(await users.verify("Nobody", "network$security"), undefined);
  assert.equal(await users.verify("Andrew", ""), undefined);
});

Deno.test("UserDb.verify checks hashed passwords beside plaintext ones", async () => {
  const hash = await hashPassword("@dministr@tor", COST);
  const users = parseUsers(`Stallings network$security\r\nAndrew ${hash}\r\n`);
  assert.deepEqual(users.names, ["Stallings", "Andrew"]);
  assert.equal(await users.verify("ANDREW", "@dministr@tor"), "Andrew");
  assert.equal(await users.verify("Andrew", "@dministr@toR"), undefined);
  assert.equal(await users.verify("Andrew", hash), undefined, "the hash itself is not the password");
  assert.equal(await users.verify("Stallings", "network$security"), "Stallings");
  assert.equal(await users.verify("Stallings", "wrong"), undefined);
  assert.equal(await users.verify("Nobody", "@dministr@tor"), undefined);
});

Deno.test("parseUsers names the line of a malformed hash rather than taking it as a password", async (t) => {
  const cases: [string, RegExp][] = [
    ["$scrypt$", /line 2: scrypt hash: expected/],
    ["$scrypt$ln=14,r=8,p=1$c2FsdHNhbHQ$", /line 2: scrypt hash: expected/],
    ["$scrypt$ln=30,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", /line 2: scrypt hash: need ln 1-20/],
    ["$scrypt$ln=14,r=8,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", /line 2: scrypt hash: the salt must be 8-64 bytes/],
  ];
  for (const [field, message] of cases) {
    await t.step(field, () => {
      assert.throws(() => parseUsers(`Stallings network$security\nAndrew ${field}\n`), {
        name: "SyntaxError",
        message: new RegExp(`^Cannot parse userlogincred\\.txt ${message.source}`),
      });
    });
  }
});

Deno.test("UserDb.verify takes the costliest scrypt's time for a wrong name, a plaintext user and a cheaper hash", async () => {
  const cheap = await hashPassword("d@t@comm", { logN: 4, r: 8, p: 1 });
  const users = parseUsers(
    `Andrew ${await hashPassword("@dministr@tor", COST)}\nStallings network$security\nFourouzan ${cheap}\n`,
  );
  const time = async (name: string, password: string) => {
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await users.verify(name, password);
      best = Math.min(best, performance.now() - started);
    }
    return best;
  };
  const right = await time("Andrew", "@dministr@tor");
  const cases = {
    "wrong password": await time("Andrew", "guess"),
    "unknown user": await time("Nobody", "guess"),
    "plaintext user, wrong password": await time("Stallings", "guess"),
    "plaintext user, right password": await time("Stallings", "network$security"),
    "cheaper hash, wrong password": await time("Fourouzan", "guess"),
    "cheaper hash, right password": await time("Fourouzan", "d@t@comm"),
  };
  // Lower bounds only: a busy machine makes every case slower, never faster than one scrypt.
  for (const [what, ms] of Object.entries(cases)) {
    assert.ok(ms >= right / 2, `${what}: ${ms.toFixed(2)} ms, a scrypt check takes ${right.toFixed(2)} ms`);
  }
});

Deno.test("deno task hash-password prints a line that parseUsers reads and verifies", async () => {
  const out = await runWithInput(
    Deno.execPath(),
    ["task", "--quiet", "--cwd", REPO_ROOT, "hash-password", "Andrew"],
    new TextEncoder().encode("two words\n"),
  );
  assert.equal(out.status.code, 0, out.stderr);
  assert.match(out.stdout, /^Andrew \$scrypt\$ln=14,r=8,p=1\$\S+\n$/);
  const users = parseUsers(`Stallings network$security\n${out.stdout}`);
  assert.equal(await users.verify("andrew", "two words"), "Andrew");
  assert.equal(await users.verify("andrew", "two"), undefined);
});

Deno.test("deno task hash-password refuses bad usage with one line and status 2", async (t) => {
  const cases: [string, string[], string, RegExp][] = [
    ["no user", [], "x\n", /^Expected exactly 1 argument, got 0\. Usage: /],
    ["two users", ["Andrew", "Stallings"], "x\n", /^Expected exactly 1 argument, got 2\. Usage: /],
    ["a path as user", ["../etc"], "x\n", /^Cannot use "\.\.\/etc" as a user name/],
    ["no password", ["Andrew"], "", /^Cannot hash an empty password/],
  ];
  for (const [name, args, input, message] of cases) {
    await t.step(name, async () => {
      const out = await runWithInput(
        Deno.execPath(),
        ["task", "--quiet", "--cwd", REPO_ROOT, "hash-password", ...args],
        new TextEncoder().encode(input),
      );
      assert.equal(out.status.code, 2);
      assert.equal(out.stdout, "");
      assert.match(out.stderr, message);
      assert.equal(out.stderr.trimEnd().split("\n").length, 1, out.stderr);
    });
  }
});

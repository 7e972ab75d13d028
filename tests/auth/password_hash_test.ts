import assert from "node:assert/strict";
import {
  formatScryptHash,
  hashPassword,
  parseScryptHash,
  type ScryptCost,
  verifyScrypt,
} from "../../lib/auth/password_hash.ts";

/** A cheap cost for tests: the format and the checks do not depend on it. */
const CHEAP: ScryptCost = { logN: 4, r: 1, p: 1 };
/** 16 bytes of salt and 32 of hash, base64 without padding. */
const SALT = "AAECAwQFBgcICQoLDA0ODw";
const HASH = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8";

Deno.test("parseScryptHash reads the PHC form and formatScryptHash writes it back", () => {
  const text = `$scrypt$ln=14,r=8,p=1$${SALT}$${HASH}`;
  const parsed = parseScryptHash(text);
  assert.deepEqual([parsed.logN, parsed.r, parsed.p, parsed.salt.length, parsed.hash.length], [14, 8, 1, 16, 32]);
  assert.equal(parsed.salt[15], 15);
  assert.equal(formatScryptHash(parsed), text);
});

Deno.test("parseScryptHash refuses malformed and unreasonable hashes", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["no parameters", `$scrypt$${SALT}$${HASH}`, /expected \$scrypt\$ln=L,r=R,p=P/],
    ["N instead of ln", `$scrypt$N=16384,r=8,p=1$${SALT}$${HASH}`, /expected/],
    ["missing hash", `$scrypt$ln=14,r=8,p=1$${SALT}`, /expected/],
    ["padding", `$scrypt$ln=14,r=8,p=1$${SALT}==$${HASH}`, /expected/],
    ["ln 0", `$scrypt$ln=0,r=8,p=1$${SALT}$${HASH}`, /ln 1-20/],
    ["ln 21", `$scrypt$ln=21,r=8,p=1$${SALT}$${HASH}`, /ln 1-20/],
    ["r 33", `$scrypt$ln=10,r=33,p=1$${SALT}$${HASH}`, /r 1-32/],
    ["p 0", `$scrypt$ln=10,r=8,p=0$${SALT}$${HASH}`, /p 1-16/],
    ["too much memory", `$scrypt$ln=20,r=32,p=16$${SALT}$${HASH}`, /more than 256 MiB/],
    ["short salt", `$scrypt$ln=14,r=8,p=1$AAEC$${HASH}`, /salt must be 8-64 bytes/],
    ["short hash", `$scrypt$ln=14,r=8,p=1$${SALT}$AAECAwQFBgc`, /hash must be 16-64 bytes/],
    ["bad base64 tail", `$scrypt$ln=14,r=8,p=1$${SALT.slice(0, -1)}x$${HASH}`, /bad base64 salt/],
  ];
  for (const [name, text, message] of cases) {
    await t.step(name, () => assert.throws(() => parseScryptHash(text), { name: "SyntaxError", message }));
  }
});

Deno.test("hashPassword makes a hash that verifyScrypt accepts for that password only", async () => {
  const text = await hashPassword("network$security", CHEAP);
  assert.match(text, /^\$scrypt\$ln=4,r=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  const hash = parseScryptHash(text);
  assert.equal(await verifyScrypt(hash, "network$security"), true);
  assert.equal(await verifyScrypt(hash, "network$securitY"), false);
  assert.equal(await verifyScrypt(hash, ""), false);
  assert.notEqual(await hashPassword("network$security", CHEAP), text, "a new salt each time");
});

Deno.test("verifyScrypt matches RFC 7914 §12's test vector", async () => {
  // scrypt("password", "NaCl", N=1024, r=8, p=16, dkLen=64)
  const expected = "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162" +
    "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640";
  const hash = { logN: 10, r: 8, p: 16, salt: new TextEncoder().encode("NaCl"), hash: hex(expected) };
  assert.equal(await verifyScrypt(hash, "password"), true);
});

function hex(text: string): Uint8Array {
  return new Uint8Array(text.match(/../g)!.map((h) => parseInt(h, 16)));
}

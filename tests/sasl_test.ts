/** The shared SASL decoding: strict base64, PLAIN messages, and the PLAIN and LOGIN exchanges. */

import assert from "node:assert/strict";
import { decodeBase64, decodePlain, encodeBase64, SaslExchange, type SaslStep } from "../lib/sasl.ts";

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("decodeBase64 accepts only strict RFC 4648 base64", () => {
  const cases: [string, string | undefined][] = [
    ["", ""],
    ["YQ==", "a"],
    ["YWI=", "ab"],
    ["YWJj", "abc"],
    ["YQ", undefined],
    ["YQ=", undefined],
    ["Y Q==", undefined],
    ["YQ==\r", undefined],
    ["YQ==YQ==", undefined],
    ["*", undefined],
    ["YW_j", undefined],
  ];
  for (const [input, expected] of cases) {
    const got = decodeBase64(input);
    assert.equal(got === undefined ? undefined : new TextDecoder().decode(got), expected, JSON.stringify(input));
  }
});

Deno.test("encodeBase64 encodes text as UTF-8", () => {
  assert.equal(encodeBase64("\0Jöran\0p w"), "AErDtnJhbgBwIHc=");
  assert.equal(encodeBase64(new Uint8Array([0xff, 0])), "/wA=");
});

Deno.test("decodePlain reads authzid NUL authcid NUL passwd (RFC 4616)", () => {
  const cases: [string | Uint8Array, SaslStep][] = [
    ["\0Andrew\0pw", { type: "credentials", name: "Andrew", password: "pw" }],
    ["andrew\0Andrew\0p w\u00e9", { type: "credentials", name: "Andrew", password: "p w\u00e9" }],
    ["Stallings\0Andrew\0pw", { type: "malformed", detail: "authorizing as another user is not supported" }],
    ["Andrew\0pw", { type: "malformed", detail: "expected authzid NUL authcid NUL passwd" }],
    ["\0Andrew\0pw\0", { type: "malformed", detail: "expected authzid NUL authcid NUL passwd" }],
    ["\0\0pw", { type: "malformed", detail: "empty user name or password" }],
    ["\0Andrew\0", { type: "malformed", detail: "empty user name or password" }],
    [new Uint8Array([0, 0x41, 0, 0xff]), { type: "malformed", detail: "not UTF-8" }],
  ];
  for (const [input, expected] of cases) {
    assert.deepEqual(decodePlain(typeof input === "string" ? text(input) : input), expected, JSON.stringify(input));
  }
});

Deno.test("SaslExchange runs PLAIN and LOGIN", async (t) => {
  await t.step("PLAIN without an initial response sends an empty challenge", () => {
    const plain = new SaslExchange("PLAIN");
    assert.deepEqual(plain.start(undefined), { type: "challenge", challenge: "" });
    assert.deepEqual(plain.respond(btoa("\0a\0b")), { type: "credentials", name: "a", password: "b" });
  });
  await t.step("PLAIN with = as the initial response has an empty message", () => {
    assert.deepEqual(new SaslExchange("PLAIN").start("="), {
      type: "malformed",
      detail: "expected authzid NUL authcid NUL passwd",
    });
  });
  await t.step("LOGIN asks for the user name, then the password", () => {
    const login = new SaslExchange("LOGIN");
    assert.deepEqual(login.start(undefined), { type: "challenge", challenge: "VXNlcm5hbWU6" });
    assert.deepEqual(login.respond(btoa("a")), { type: "challenge", challenge: "UGFzc3dvcmQ6" });
    assert.deepEqual(login.respond(btoa("b c")), { type: "credentials", name: "a", password: "b c" });
  });
  await t.step("* cancels and bad base64 is reported", () => {
    assert.deepEqual(new SaslExchange("LOGIN").respond("*"), { type: "cancelled" });
    assert.deepEqual(new SaslExchange("LOGIN").respond("a b"), { type: "bad-base64" });
    assert.deepEqual(new SaslExchange("LOGIN").respond(""), {
      type: "malformed",
      detail: "expected a user name or password in UTF-8",
    });
  });
});

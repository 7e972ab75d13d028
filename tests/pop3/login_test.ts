/**
 * Pop3Session transcripts for the ways in: STLS (RFC 2595 §4), AUTH PLAIN
 * (RFC 5034), CAPA as each offers them, and the refusal of plaintext logins
 * from remote clients without TLS.
 */

import assert from "node:assert/strict";
import type { Pop3Security } from "../../lib/pop3/login.ts";
import { play, type Turn } from "./transcript.ts";

const REMOTE_TLS: Pop3Security = { tls: "available", loopback: false, allowPlaintextLogin: false };
const LOOPBACK_TLS: Pop3Security = { ...REMOTE_TLS, loopback: true };
const IMPLICIT: Pop3Security = { ...REMOTE_TLS, tls: "active" };
const REMOTE_NO_TLS: Pop3Security = { ...REMOTE_TLS, tls: "none" };

/** The CAPA reply with the optional capabilities given. */
function capa(login: boolean, stls: boolean): Turn {
  const lines = [
    "TOP",
    "UIDL",
    ...(login ? ["USER", "SASL PLAIN"] : []),
    "RESP-CODES",
    "AUTH-RESP-CODE",
    "PIPELINING",
    ...(stls ? ["STLS"] : []),
    "IMPLEMENTATION smtpmail",
  ];
  return { c: "CAPA", s: ["+OK Capability list follows", ...lines, "."] };
}

const STLS: Turn = { c: "STLS", s: ["+OK Begin TLS negotiation"] };
const PLAIN = btoa("\0Andrew\0pw");
const LOGGED_IN = "+OK Andrew's maildrop has 3 messages (400 octets)";
const REFUSED = "-ERR [AUTH] Plaintext login refused without TLS (use STLS)";

Deno.test("Pop3Session offers and starts STLS", async (t) => {
  const cases: [string, Pop3Security, Turn[]][] = [
    ["CAPA lists STLS, not USER or SASL, to a remote client before TLS", REMOTE_TLS, [capa(false, true)]],
    ["CAPA after STLS lists USER and SASL, not STLS", REMOTE_TLS, [STLS, capa(true, false)]],
    ["CAPA on an implicit-TLS port lists no STLS", IMPLICIT, [capa(true, false)]],
    ["CAPA to a loopback client lists both", LOOPBACK_TLS, [capa(true, true)]],
    ["CAPA after login lists no STLS", LOOPBACK_TLS, [
      { c: "USER andrew", s: ["+OK Send your password"] },
      { c: "PASS pw", s: [LOGGED_IN] },
      capa(true, false),
    ]],
    ["a second STLS is refused", REMOTE_TLS, [STLS, { c: "STLS", s: ["-ERR Command not permitted when TLS active"] }]],
    ["STLS on an implicit-TLS port is refused", IMPLICIT, [{
      c: "STLS",
      s: ["-ERR Command not permitted when TLS active"],
    }]],
    ["STLS without TLS configured is refused", REMOTE_NO_TLS, [{
      c: "STLS",
      s: ["-ERR STLS not available: TLS is not configured"],
    }]],
    ["STLS with an argument is refused", REMOTE_TLS, [{ c: "STLS x", s: ["-ERR STLS takes no argument"] }]],
    ["STLS after login is refused", LOOPBACK_TLS, [
      { c: "USER andrew", s: ["+OK Send your password"] },
      { c: "PASS pw", s: [LOGGED_IN] },
      { c: "STLS", s: ["-ERR STLS is not allowed after login"] },
    ]],
    ["STLS forgets a USER given before it", LOOPBACK_TLS, [
      { c: "USER andrew", s: ["+OK Send your password"] },
      STLS,
      { c: "PASS pw", s: ["-ERR Send USER first"] },
    ]],
  ];
  for (const [name, security, turns] of cases) {
    await t.step(name, () => void play(turns, { security }));
  }
});

Deno.test("Pop3Session answers STLS with a temporary error when TLS cannot start", () => {
  const { tlsAfterTurn } = play([
    { c: "STLS", s: ["-ERR [SYS/TEMP] TLS not available now, try again later"] },
    capa(false, true),
  ], { security: REMOTE_TLS, tlsUnavailable: true });
  assert.equal(tlsAfterTurn, undefined);
});

Deno.test("Pop3Session refuses plaintext logins from remote clients without TLS", async (t) => {
  const cases: [string, Pop3Security, Turn[]][] = [
    ["USER", REMOTE_TLS, [{ c: "USER andrew", s: [REFUSED] }, { c: "PASS pw", s: [REFUSED] }]],
    ["AUTH PLAIN", REMOTE_TLS, [{ c: `AUTH PLAIN ${PLAIN}`, s: [REFUSED] }]],
    ["USER with no TLS configured", REMOTE_NO_TLS, [{
      c: "USER andrew",
      s: ["-ERR [AUTH] Plaintext login refused without TLS (TLS is not configured)"],
    }]],
    ["nothing after STLS", REMOTE_TLS, [STLS, { c: "USER andrew", s: ["+OK Send your password"] }, {
      c: "PASS pw",
      s: [LOGGED_IN],
    }]],
    ["nothing with --allow-plaintext-login", { ...REMOTE_NO_TLS, allowPlaintextLogin: true }, [{
      c: `AUTH PLAIN ${PLAIN}`,
      s: [LOGGED_IN],
    }]],
  ];
  for (const [name, security, turns] of cases) {
    await t.step(name, () => void play(turns, { security }));
  }
});

Deno.test("Pop3Session logs in with AUTH PLAIN (RFC 5034)", async (t) => {
  const cases: Record<string, Turn[]> = {
    "with an initial response": [{ c: `AUTH PLAIN ${PLAIN}`, s: [LOGGED_IN] }, { c: "STAT", s: ["+OK 3 400"] }],
    "after an empty challenge": [{ c: "AUTH PLAIN", s: ["+ "] }, { c: PLAIN, s: [LOGGED_IN] }],
    "with the mechanism in lower case": [{ c: `auth plain ${PLAIN}`, s: [LOGGED_IN] }],
    "wrong credentials get [AUTH]": [{
      c: `AUTH PLAIN ${btoa("\0Andrew\0nope")}`,
      s: ["-ERR [AUTH] Invalid user name or password"],
    }],
    "* cancels": [{ c: "AUTH PLAIN", s: ["+ "] }, { c: "*", s: ["-ERR Authentication cancelled"] }, {
      c: "STAT",
      s: ["-ERR STAT is not allowed before login"],
    }],
    "bad base64 is refused": [{ c: "AUTH PLAIN", s: ["+ "] }, { c: "!!", s: ["-ERR Cannot decode base64 response"] }],
    "a malformed message is refused": [{
      c: `AUTH PLAIN ${btoa("Andrew pw")}`,
      s: ["-ERR Malformed authentication response: expected authzid NUL authcid NUL passwd"],
    }],
    "an unknown mechanism is refused": [{ c: "AUTH LOGIN", s: ["-ERR Unsupported authentication mechanism"] }],
    "AUTH alone lists the mechanisms": [{ c: "AUTH", s: ["+OK Supported mechanisms follow", "PLAIN", "."] }],
    "AUTH after login is refused": [{ c: `AUTH PLAIN ${PLAIN}`, s: [LOGGED_IN] }, {
      c: `AUTH PLAIN ${PLAIN}`,
      s: ["-ERR AUTH is not allowed after login"],
    }],
  };
  for (const [name, turns] of Object.entries(cases)) {
    await t.step(name, () => void play(turns));
  }
});

Deno.test("Pop3Session passes AUTH PLAIN credentials to the login action", () => {
  const { logins } = play([{
    c: `AUTH PLAIN ${btoa("andrew\0andrew\0p w")}`,
    s: ["-ERR [AUTH] Invalid user name or password"],
  }]);
  assert.deepEqual(logins, [{ user: "andrew", password: "p w" }]);
});

Deno.test("Pop3Session refuses an over-long AUTH response and ends the exchange", () => {
  const { session } = play([{ c: "AUTH PLAIN", s: ["+ "] }]);
  assert.deepEqual([...session.receive("", true).replies], ["-ERR Line too long"]);
  assert.deepEqual([...session.receive("NOOP").replies], ["-ERR NOOP is not allowed before login"]);
});

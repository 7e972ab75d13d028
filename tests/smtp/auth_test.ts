/**
 * SmtpSession transcripts for AUTH (RFC 4954) with PLAIN and LOGIN: where
 * it is offered, the exchange and its errors, the failure limit, and what an
 * authenticated session may send as (its own address, in MAIL FROM and From:).
 */

import assert from "node:assert/strict";
import type { SmtpSessionOptions } from "../../lib/smtp/session.ts";
import { GOOD_LOGIN, runTranscript, testOptions, type Turn } from "./transcript.ts";

const EHLO_KEYWORDS = ["PIPELINING", "8BITMIME", "SIZE 1000", "ENHANCEDSTATUSCODES", "SMTPUTF8"];

/** EHLO's reply, with AUTH listed or not. */
function ehlo(auth: boolean): Turn {
  const keywords = [...EHLO_KEYWORDS, ...(auth ? ["AUTH PLAIN LOGIN"] : []), "HELP"];
  const lines = keywords.map((k, i) => `250${i === keywords.length - 1 ? " " : "-"}${k}`);
  return { c: "EHLO client.test", s: ["250-mx.test greets client.test", ...lines] };
}

const b64 = (text: string) => btoa(text);
const EHLO = ehlo(true);
const LOOPBACK = testOptions({ loopback: true });
const PLAIN = b64(`\0${GOOD_LOGIN.name}\0${GOOD_LOGIN.password}`);
const SUCCESS = "235 2.7.0 Authentication succeeded";
const INVALID = "535 5.7.8 Authentication credentials invalid";
const AUTHENTICATED: Turn[] = [EHLO, { c: `AUTH PLAIN ${PLAIN}`, s: [SUCCESS] }];
const TO: Turn = { c: "RCPT TO:<andrew@localhost>", s: ["250 2.1.5 Recipient OK"] };
const DATA: Turn = { c: "DATA", s: ["354 End data with <CR><LF>.<CR><LF>"] };
const OWN_SENDER: Turn = { c: "MAIL FROM:<stallings@localhost>", s: ["250 2.1.0 Sender OK"] };
const NOT_OWN_SENDER = "550 5.7.1 Sender must be your own address (authenticated as Stallings)";
const NOT_OWN_FROM = "550 5.7.1 From: header must be your own address (authenticated as Stallings)";

Deno.test("SmtpSession runs AUTH PLAIN and LOGIN exchanges", async (t) => {
  const cases: Record<string, Turn[]> = {
    "PLAIN with an initial response": AUTHENTICATED,
    "PLAIN after an empty challenge": [EHLO, { c: "AUTH PLAIN", s: ["334 "] }, { c: PLAIN, s: [SUCCESS] }],
    "PLAIN with the mechanism in lower case": [EHLO, { c: `auth plain ${PLAIN}`, s: [SUCCESS] }],
    "PLAIN with an authorization identity equal to the user": [EHLO, {
      c: `AUTH PLAIN ${b64("stallings\0Stallings\0network$security")}`,
      s: [SUCCESS],
    }],
    "LOGIN with two challenges": [
      EHLO,
      { c: "AUTH LOGIN", s: ["334 VXNlcm5hbWU6"] },
      { c: b64("Stallings"), s: ["334 UGFzc3dvcmQ6"] },
      { c: b64("network$security"), s: [SUCCESS] },
    ],
    "LOGIN with the user name as initial response": [
      EHLO,
      { c: `AUTH LOGIN ${b64("stallings")}`, s: ["334 UGFzc3dvcmQ6"] },
      { c: b64("network$security"), s: [SUCCESS] },
    ],
    "a wrong password gets 535 and may try again": [
      EHLO,
      { c: `AUTH PLAIN ${b64("\0Stallings\0nope")}`, s: [INVALID] },
      { c: `AUTH PLAIN ${PLAIN}`, s: [SUCCESS] },
    ],
    "a locked-out login gets 454": [EHLO, {
      c: `AUTH PLAIN ${b64("\0locked\0x")}`,
      s: ["454 4.7.0 Temporary authentication failure, try again later"],
    }],
    "* cancels with 501": [EHLO, { c: "AUTH LOGIN", s: ["334 VXNlcm5hbWU6"] }, {
      c: "*",
      s: ["501 5.7.0 Authentication cancelled"],
    }, { c: "NOOP", s: ["250 2.0.0 OK"] }],
    "bad base64 gets 501 5.5.2": [EHLO, { c: "AUTH PLAIN %%%", s: ["501 5.5.2 Cannot decode base64 response"] }],
    "a PLAIN message without NULs gets 501 5.5.2": [EHLO, {
      c: `AUTH PLAIN ${b64("Stallings network$security")}`,
      s: ["501 5.5.2 Malformed authentication response: expected authzid NUL authcid NUL passwd"],
    }],
    "acting for another user is refused": [EHLO, {
      c: `AUTH PLAIN ${b64("Andrew\0Stallings\0network$security")}`,
      s: ["501 5.5.2 Malformed authentication response: authorizing as another user is not supported"],
    }],
    "an unknown mechanism gets 504": [EHLO, {
      c: "AUTH CRAM-MD5",
      s: ["504 5.5.4 Unrecognized authentication mechanism"],
    }],
    "AUTH without a mechanism is a syntax error": [EHLO, {
      c: "AUTH",
      s: ["501 5.5.2 Syntax error: expected AUTH mechanism [initial-response]"],
    }],
    "a second AUTH gets 503": [...AUTHENTICATED, {
      c: `AUTH PLAIN ${PLAIN}`,
      s: ["503 5.5.1 Bad sequence of commands: already authenticated"],
    }],
    "AUTH during a transaction gets 503": [EHLO, { c: "MAIL FROM:<a@b.test>", s: ["250 2.1.0 Sender OK"] }, {
      c: `AUTH PLAIN ${PLAIN}`,
      s: ["503 5.5.1 Bad sequence of commands: mail transaction in progress"],
    }],
    "AUTH before EHLO gets 503": [{
      c: `AUTH PLAIN ${PLAIN}`,
      s: ["503 5.5.1 Bad sequence of commands: send HELO or EHLO first"],
    }],
    "an over-long response ends the exchange": [EHLO, { c: "AUTH PLAIN", s: ["334 "] }, {
      c: "x".repeat(600),
      s: ["500 5.5.6 Authentication exchange line is too long"],
    }, { c: "NOOP", s: ["250 2.0.0 OK"] }],
  };
  for (const [name, turns] of Object.entries(cases)) {
    await t.step(name, () => void runTranscript(turns, LOOPBACK));
  }
});

Deno.test("SmtpSession passes the session's failures to the authenticator", () => {
  const wrong = { c: `AUTH PLAIN ${b64("\0Stallings\0nope")}`, s: [INVALID] };
  const { logins } = runTranscript([EHLO, wrong, wrong], LOOPBACK);
  assert.deepEqual(logins.map((l) => l.sessionFailures), [0, 1]);
  assert.deepEqual(logins[0], { name: "Stallings", password: "nope", sessionFailures: 0 });
});

Deno.test("SmtpSession closes after the failed-login limit", () => {
  const options: SmtpSessionOptions = { ...LOOPBACK, limits: { ...LOOPBACK.limits, maxFailedLogins: 2 } };
  const wrong = { c: `AUTH PLAIN ${b64("\0Stallings\0nope")}`, s: [INVALID] };
  runTranscript([
    EHLO,
    wrong,
    { ...wrong, s: [INVALID, "421 4.7.0 Too many failed logins, closing connection"], close: true },
  ], options);
});

Deno.test("SmtpSession takes passwords only through TLS or from trusted clients", async (t) => {
  await t.step("a remote client without TLS is not offered AUTH and gets 538", () => {
    runTranscript([ehlo(false), {
      c: `AUTH PLAIN ${PLAIN}`,
      s: ["538 5.7.11 Encryption required for requested authentication mechanism"],
    }]);
  });
  await t.step("538 comes before the state check", () => {
    runTranscript([{ c: "AUTH LOGIN", s: ["538 5.7.11 Encryption required for requested authentication mechanism"] }]);
  });
  await t.step("--allow-plaintext-login lets a remote client log in", () => {
    runTranscript(AUTHENTICATED, testOptions({ allowPlaintextLogin: true }));
  });
  await t.step("under implicit TLS a remote client logs in", () => {
    runTranscript(AUTHENTICATED, testOptions({ tls: "active" }));
  });
});

Deno.test("SmtpSession lets an authenticated user send only as their own address", async (t) => {
  const cases: Record<string, Turn[]> = {
    "own address, any case, any local domain": [
      { c: "MAIL FROM:<STALLINGS@MX.TEST>", s: ["250 2.1.0 Sender OK"] },
    ],
    "own address with the AUTH parameter (RFC 4954 §5)": [
      { c: "MAIL FROM:<stallings@localhost> AUTH=<>", s: ["250 2.1.0 Sender OK"] },
    ],
    "another user's address": [{ c: "MAIL FROM:<andrew@localhost>", s: [NOT_OWN_SENDER] }],
    "own name at a foreign domain": [{ c: "MAIL FROM:<stallings@example.com>", s: [NOT_OWN_SENDER] }],
    "the null path, always (RFC 5321 §4.5.5: bounces)": [{ c: "MAIL FROM:<>", s: ["250 2.1.0 Sender OK"] }],
    "bare postmaster": [{ c: "MAIL FROM:<postmaster>", s: [NOT_OWN_SENDER] }],
    "relaying stays denied": [OWN_SENDER, {
      c: "RCPT TO:<andrew@example.com>",
      s: ["550 5.7.1 Relaying denied: not a local domain"],
    }],
  };
  for (const [name, turns] of Object.entries(cases)) {
    await t.step(name, () => void runTranscript([...AUTHENTICATED, ...turns], LOOPBACK));
  }
});

Deno.test("SmtpSession checks an authenticated user's From: header at the end of DATA", async (t) => {
  const accepted: Record<string, string> = {
    "a bare address": "From: stallings@localhost\r\n",
    "a display name": "From: William Stallings <Stallings@localhost>\r\n",
    "a quoted display name with a comma": 'From: "Stallings, William" <stallings@mx.test>\r\n',
    "a comment": "From: stallings@localhost (the author)\r\n",
    "a folded field": "From: William Stallings\r\n <stallings@localhost>\r\n",
    "the field name in lower case": "from: stallings@localhost\r\n",
  };
  const refused: Record<string, string> = {
    "another user": "From: andrew@localhost\r\n",
    "a foreign domain": "From: Stallings <stallings@example.com>\r\n",
    "two From: fields": "From: stallings@localhost\r\nFrom: andrew@localhost\r\n",
    "two addresses": "From: stallings@localhost, andrew@localhost\r\n",
  };
  const noFrom: Record<string, string> = {
    "no From: field": "Subject: hi\r\n",
    "a From: only in the body": "Subject: hi\r\n\r\nFrom: stallings@localhost\r\n",
  };
  for (const [name, header] of Object.entries(noFrom)) {
    await t.step(`refuses ${name}, saying so`, () => {
      const body = header.includes("\r\n\r\n") ? header : `${header}\r\nhi\r\n`;
      const { deliveries, outcomes } = runTranscript([...AUTHENTICATED, OWN_SENDER, TO, DATA, {
        raw: `${body}.\r\n`,
        s: ["550 5.7.1 Message has no From: header; add one with your own address"],
      }], LOOPBACK);
      assert.equal(deliveries.length, 0);
      assert.deepEqual(outcomes, ["rejected: no From: field"]);
    });
  }
  for (const [name, header] of Object.entries(accepted)) {
    await t.step(`accepts ${name}`, () => {
      const { deliveries } = runTranscript([...AUTHENTICATED, OWN_SENDER, TO, DATA, {
        raw: `${header}\r\nhi\r\n.\r\n`,
        s: ["250 2.0.0 OK queued as ID1"],
      }], LOOPBACK);
      assert.equal(deliveries.length, 1);
    });
  }
  for (const [name, header] of Object.entries(refused)) {
    await t.step(`refuses ${name}`, () => {
      const body = header.includes("\r\n\r\n") ? header : `${header}\r\nhi\r\n`;
      const { deliveries, outcomes } = runTranscript([...AUTHENTICATED, OWN_SENDER, TO, DATA, {
        raw: `${body}.\r\n`,
        s: [NOT_OWN_FROM],
      }, OWN_SENDER], LOOPBACK);
      assert.equal(deliveries.length, 0);
      assert.deepEqual(outcomes, ["rejected: From: header not the user's"]);
    });
  }
  await t.step("refuses a display name that shows another address", () => {
    const { deliveries, outcomes } = runTranscript([...AUTHENTICATED, OWN_SENDER, TO, DATA, {
      raw: 'From: "andrew@localhost" <stallings@localhost>\r\n\r\nhi\r\n.\r\n',
      s: ["550 5.7.1 From: display name must be your own address (authenticated as Stallings)"],
    }], LOOPBACK);
    assert.equal(deliveries.length, 0);
    assert.deepEqual(outcomes, ["rejected: From: display name shows another address"]);
  });
});

Deno.test("SmtpSession takes a bounce (null reverse-path) after AUTH unless its From: is another local user", async (t) => {
  const BOUNCE_SENDER = { c: "MAIL FROM:<>", s: ["250 2.1.0 Sender OK"] };
  const cases: [string, string, string][] = [
    ["the reporting MTA's From:", "From: MAILER-DAEMON@localhost (Mail Delivery System)", "250 2.0.0 OK queued as ID1"],
    ["a foreign From:", "From: MAILER-DAEMON@relay.example", "250 2.0.0 OK queued as ID1"],
    ["the user's own From:", "From: stallings@localhost", "250 2.0.0 OK queued as ID1"],
    ["another local user's From:", "From: andrew@localhost", NOT_OWN_FROM],
    ["another local user's From:, in other case", "From: Andrew <ANDREW@LOCALHOST>", NOT_OWN_FROM],
  ];
  for (const [name, header, answer] of cases) {
    await t.step(name, () => {
      const { deliveries } = runTranscript([...AUTHENTICATED, BOUNCE_SENDER, TO, DATA, {
        raw: `${header}\r\nSubject: Undelivered Mail\r\n\r\nhi\r\n.\r\n`,
        s: [answer],
      }], LOOPBACK);
      assert.equal(deliveries.length, answer.startsWith("250") ? 1 : 0);
    });
  }
});

Deno.test("SmtpSession keeps the receive-only rules for unauthenticated sessions", () => {
  const { deliveries } = runTranscript([
    EHLO,
    { c: "MAIL FROM:<anyone@example.org>", s: ["250 2.1.0 Sender OK"] },
    TO,
    DATA,
    { raw: "From: andrew@localhost\r\n\r\nhi\r\n.\r\n", s: ["250 2.0.0 OK queued as ID1"] },
  ], LOOPBACK);
  assert.equal(deliveries.length, 1);
});

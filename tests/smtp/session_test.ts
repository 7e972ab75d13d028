import assert from "node:assert/strict";
import { recordText, runTranscript, testOptions, type Turn } from "./transcript.ts";

const EHLO: Turn = {
  c: "EHLO client.test",
  s: [
    "250-mx.test greets client.test",
    "250-PIPELINING",
    "250-8BITMIME",
    "250-SIZE 1000",
    "250-ENHANCEDSTATUSCODES",
    "250-SMTPUTF8",
    "250 HELP",
  ],
};
const FROM: Turn = { c: "MAIL FROM:<stallings@localhost>", s: ["250 2.1.0 Sender OK"] };
const TO_ANDREW: Turn = { c: "RCPT TO:<andrew@localhost>", s: ["250 2.1.5 Recipient OK"] };
const DATA: Turn = { c: "DATA", s: ["354 End data with <CR><LF>.<CR><LF>"] };
const QUEUED: Turn = { c: ".", s: ["250 2.0.0 OK queued as ID1"] };
const TRACE = "Received: from client.test ([127.0.0.1]) by mx.test with ESMTP id ID1; Fri, 27 Nov 2026 09:45:57 +0000";

Deno.test("SmtpSession follows RFC 5321 command rules", async (t) => {
  const cases: Record<string, Turn[]> = {
    "greets EHLO with its extensions": [EHLO],
    "greets HELO with one line": [{ c: "helo client.test", s: ["250 mx.test greets client.test"] }],
    "rejects EHLO without a domain": [{
      c: "EHLO",
      s: ["501 5.5.2 Syntax error: EHLO needs one domain or address literal"],
    }],
    "rejects MAIL before EHLO": [{ c: FROM.c, s: ["503 5.5.1 Bad sequence of commands: send HELO or EHLO first"] }],
    "rejects RCPT before MAIL": [EHLO, {
      c: TO_ANDREW.c,
      s: ["503 5.5.1 Bad sequence of commands: need MAIL before RCPT"],
    }],
    "rejects DATA before RCPT": [EHLO, FROM, {
      c: "DATA",
      s: ["503 5.5.1 Bad sequence of commands: no valid recipients"],
    }],
    "rejects DATA before MAIL": [EHLO, {
      c: "DATA",
      s: ["503 5.5.1 Bad sequence of commands: need MAIL and RCPT before DATA"],
    }],
    "rejects nested MAIL": [EHLO, FROM, { c: FROM.c, s: ["503 5.5.1 Bad sequence of commands: sender already given"] }],
    "treats verbs case-insensitively": [EHLO, { c: "mail from:<a@b.test>", s: ["250 2.1.0 Sender OK"] }],
    "accepts the null reverse path": [EHLO, { c: "MAIL FROM:<>", s: ["250 2.1.0 Sender OK"] }],
    "accepts a space after the colon": [EHLO, { c: "MAIL FROM: <a@b.test>", s: ["250 2.1.0 Sender OK"] }],
    "rejects a malformed address": [EHLO, { c: "MAIL FROM:<a@>", s: ["501 5.5.2 Syntax error: invalid domain"] }],
    "rejects MAIL without FROM:": [EHLO, {
      c: "MAIL <a@b.test>",
      s: ["501 5.5.2 Syntax error: expected MAIL FROM:<address>"],
    }],
    "answers unknown commands with 500": [{ c: "FOO bar", s: ["500 5.5.1 Command not recognized"] }],
    "answers unimplemented commands with 502": [{ c: "EXPN staff", s: ["502 5.5.1 Command not implemented"] }],
    "answers STARTTLS with 502 when TLS is not configured": [{
      c: "STARTTLS",
      s: ["502 5.5.1 Command not implemented"],
    }],
    "answers NOOP": [{ c: "NOOP", s: ["250 2.0.0 OK"] }],
    "answers VRFY with a safe 252": [{
      c: "VRFY andrew",
      s: ["252 2.5.0 Cannot VRFY user, but will accept message for local users"],
    }],
    "answers HELP": [{
      c: "HELP",
      s: [
        "214-2.0.0 Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA RSET NOOP QUIT VRFY HELP",
        "214 2.0.0 End of HELP",
      ],
    }],
    "closes on QUIT": [{ c: "QUIT", s: ["221 2.0.0 mx.test closing connection"], close: true }],
    "rejects arguments to DATA": [EHLO, FROM, TO_ANDREW, {
      c: "DATA x",
      s: ["501 5.5.2 Syntax error: DATA takes no argument"],
    }],
    "resets the transaction on RSET": [EHLO, FROM, { c: "RSET", s: ["250 2.0.0 OK"] }, FROM],
    "refuses SIZE over the limit": [EHLO, {
      c: "MAIL FROM:<a@b.test> SIZE=1001",
      s: ["552 5.3.4 Message size exceeds the limit of 1000 octets"],
    }],
    "accepts SIZE within the limit and BODY=8BITMIME": [EHLO, {
      c: "MAIL FROM:<a@b.test> SIZE=1000 BODY=8BITMIME",
      s: ["250 2.1.0 Sender OK"],
    }],
    "takes BODY values in any case": [
      EHLO,
      {
        c: "MAIL FROM:<a@b.test> size=100 body=8bitmime",
        s: ["250 2.1.0 Sender OK"],
      },
      { c: "RSET", s: ["250 2.0.0 OK"] },
      { c: "MAIL FROM:<a@b.test> BODY=7bit", s: ["250 2.1.0 Sender OK"] },
    ],
    "rejects an unknown BODY value": [EHLO, {
      c: "MAIL FROM:<a@b.test> BODY=BINARYMIME",
      s: ["555 5.5.4 BODY must be 7BIT or 8BITMIME"],
    }],
    "rejects a bad SIZE value": [EHLO, { c: "MAIL FROM:<a@b.test> SIZE=x", s: ["501 5.5.4 Bad SIZE value"] }],
    "rejects unknown MAIL parameters with 555": [EHLO, {
      c: "MAIL FROM:<a@b.test> FOO=1",
      s: ["555 5.5.4 Unsupported MAIL parameter FOO"],
    }],
    "rejects RCPT parameters with 555": [EHLO, FROM, {
      c: "RCPT TO:<andrew@localhost> NOTIFY=NEVER",
      s: ["555 5.5.4 RCPT parameters not supported"],
    }],
    "matches users case-insensitively": [EHLO, FROM, {
      c: "RCPT TO:<ANDREW@LocalHost>",
      s: ["250 2.1.5 Recipient OK"],
    }],
    "refuses unknown users with 550 5.1.1": [EHLO, FROM, {
      c: "RCPT TO:<nobody@localhost>",
      s: ["550 5.1.1 No such user here"],
    }],
    "refuses relaying with 550 5.7.1": [EHLO, FROM, {
      c: "RCPT TO:<andrew@example.com>",
      s: ["550 5.7.1 Relaying denied: not a local domain"],
    }],
    "accepts postmaster at a local domain": [EHLO, FROM, {
      c: "RCPT TO:<Postmaster@localhost>",
      s: ["250 2.1.5 Recipient OK"],
    }],
    "accepts bare postmaster": [EHLO, FROM, { c: "RCPT TO:<postmaster>", s: ["250 2.1.5 Recipient OK"] }],
    "refuses path tricks": [EHLO, FROM, {
      c: "RCPT TO:<../x@localhost>",
      s: ["501 5.5.2 Syntax error: invalid local part"],
    }, {
      c: "RCPT TO:<a/b@localhost>",
      s: ["550 5.1.1 No such user here"],
    }],
    "refuses recipients past the limit with 452": [
      EHLO,
      FROM,
      TO_ANDREW,
      { c: "RCPT TO:<stallings@localhost>", s: ["250 2.1.5 Recipient OK"] },
      { c: "RCPT TO:<fourouzan@localhost>", s: ["250 2.1.5 Recipient OK"] },
      { c: "RCPT TO:<postmaster@localhost>", s: ["452 4.5.3 Too many recipients"] },
    ],
    "refuses non-ASCII addresses without SMTPUTF8": [EHLO, {
      c: "MAIL FROM:<jöran@b.test>",
      s: ["553 5.6.7 Non-ASCII address needs the SMTPUTF8 parameter"],
    }],
    "accepts non-ASCII addresses with SMTPUTF8": [EHLO, {
      c: "MAIL FROM:<jöran@b.test> SMTPUTF8",
      s: ["250 2.1.0 Sender OK"],
    }],
    "refuses an over-long command and stays usable": [
      EHLO,
      { c: `NOOP ${"x".repeat(600)}`, s: ["500 5.5.0 Line too long"] },
      { c: "NOOP", s: ["250 2.0.0 OK"] },
    ],
    "answers pipelined commands in order": [{
      raw: "EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<andrew@localhost>\r\nRCPT TO:<x@localhost>\r\nDATA\r\n",
      s: [
        ...EHLO.s.map((l) => l.replace("client.test", "c.test")),
        "250 2.1.0 Sender OK",
        "250 2.1.5 Recipient OK",
        "550 5.1.1 No such user here",
        "354 End data with <CR><LF>.<CR><LF>",
      ],
    }],
  };
  for (const [name, turns] of Object.entries(cases)) {
    await t.step(name, () => {
      runTranscript(turns);
    });
  }
});

Deno.test("SmtpSession closes after too many errors", () => {
  const bad = { c: "FOO", s: ["500 5.5.1 Command not recognized"] };
  runTranscript([bad, { c: "FOO", s: [bad.s[0], "421 4.7.0 Too many errors, closing connection"], close: true }], {
    ...testOptions(),
    limits: { maxMessageSize: 1000, maxRecipients: 3, maxErrors: 2, maxLine: 1000 },
  });
});

Deno.test("SmtpSession stores the seed mail in the assignment's layout", () => {
  const { deliveries, outcomes } = runTranscript([
    EHLO,
    FROM,
    TO_ANDREW,
    DATA,
    { c: "From: stallings@localhost", s: [] },
    { c: "To: andrew@localhost", s: [] },
    { c: "Subject: Network Lab Experiment 7", s: [] },
    { c: "", s: [] },
    { c: "You have learned SMTP very well. Keep It Up!!!", s: [] },
    QUEUED,
  ]);
  assert.deepEqual(deliveries[0].users, ["Andrew"]);
  assert.equal(
    recordText(deliveries[0]),
    "From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: Network Lab Experiment 7\r\n" +
      `${TRACE}\r\n\r\nYou have learned SMTP very well. Keep It Up!!!\r\n.\r\n`,
  );
  assert.deepEqual(outcomes, ["stored"]);
});

Deno.test("SmtpSession puts the trace line on top of other messages and keeps stuffing", () => {
  const { deliveries } = runTranscript([
    EHLO,
    FROM,
    TO_ANDREW,
    DATA,
    { raw: "Date: x\r\n\r\n..\r\n..leading\r\n.\r\n", s: ["250 2.0.0 OK queued as ID1"] },
  ]);
  assert.equal(recordText(deliveries[0]), `${TRACE}\r\nDate: x\r\n\r\n..\r\n..leading\r\n.\r\n`);
});

Deno.test("SmtpSession delivers one copy per user for several recipients", () => {
  const { deliveries } = runTranscript([
    EHLO,
    FROM,
    TO_ANDREW,
    { c: "RCPT TO:<Andrew@localhost>", s: ["250 2.1.5 Recipient OK"] },
    { c: "RCPT TO:<stallings@mx.test>", s: ["250 2.1.5 Recipient OK"] },
    DATA,
    { raw: "hi\r\n.\r\n", s: ["250 2.0.0 OK queued as ID1"] },
  ]);
  assert.deepEqual(deliveries[0].users, ["Andrew", "Stallings"]);
});

Deno.test("SmtpSession never ends DATA at a bare LF or bare CR dot", async (t) => {
  const variants: Record<string, string> = {
    "LF . LF": "a\n.\nMAIL FROM:<evil@x.test>\r\n",
    "CRLF . LF": "a\r\n.\nMAIL FROM:<evil@x.test>\r\n",
    "LF . CRLF": "a\n.\r\nMAIL FROM:<evil@x.test>\r\n",
    "CR . CR": "a\r.\rMAIL FROM:<evil@x.test>\r\n",
    "CRLF . CR": "a\r\n.\rMAIL FROM:<evil@x.test>\r\n",
  };
  for (const [name, smuggled] of Object.entries(variants)) {
    await t.step(name, () => {
      const { deliveries } = runTranscript([
        EHLO,
        FROM,
        TO_ANDREW,
        DATA,
        { raw: smuggled, s: [] },
        QUEUED,
      ]);
      assert.equal(deliveries.length, 1);
      const text = recordText(deliveries[0]);
      assert.ok(text.includes("MAIL FROM:<evil@x.test>\r\n"), text);
      assert.ok(!/[^\r]\n|\r[^\n]/.test(text), `bare line end stored: ${JSON.stringify(text)}`);
      assert.equal(text.indexOf("\r\n.\r\n"), text.length - 5, "only the final end marker");
    });
  }
});

Deno.test("SmtpSession refuses a message over the size limit and stores nothing", () => {
  const { deliveries, outcomes, session } = runTranscript([
    EHLO,
    FROM,
    TO_ANDREW,
    DATA,
    { raw: `${"x".repeat(900)}\r\n${"y".repeat(200)}\r\n`, s: [] },
    { c: ".", s: ["552 5.3.4 Message exceeds the size limit of 1000 octets"] },
    FROM,
  ]);
  assert.equal(deliveries.length, 0);
  assert.deepEqual(outcomes, ["rejected: too big"]);
  assert.equal(session.state, "mail");
});

Deno.test("SmtpSession refuses a message with an over-long line and stays usable", () => {
  const { deliveries } = runTranscript([
    EHLO,
    FROM,
    TO_ANDREW,
    DATA,
    { c: "z".repeat(1200), s: [] },
    { c: ".", s: ["500 5.5.0 Message has a line longer than 1000 octets"] },
    { c: "NOOP", s: ["250 2.0.0 OK"] },
  ]);
  assert.equal(deliveries.length, 0);
});

Deno.test("SmtpSession answers 451 when the store fails", () => {
  const { outcomes } = runTranscript(
    [
      EHLO,
      FROM,
      TO_ANDREW,
      DATA,
      { c: ".", s: ["451 4.3.0 Local error in processing, try again later"] },
    ],
    testOptions(),
    { failDelivery: true },
  );
  assert.deepEqual(outcomes, ["failed: disk full"]);
});

Deno.test("SmtpSession allows several transactions per connection without RSET", () => {
  const { deliveries } = runTranscript([
    { c: "HELO c.test", s: ["250 mx.test greets c.test"] },
    FROM,
    TO_ANDREW,
    DATA,
    { raw: "one\r\n.\r\n", s: ["250 2.0.0 OK queued as ID1"] },
    FROM,
    TO_ANDREW,
    DATA,
    { raw: "two\r\n.\r\n", s: ["250 2.0.0 OK queued as ID1"] },
  ]);
  assert.equal(deliveries.length, 2);
  assert.ok(recordText(deliveries[1]).includes("with SMTP id"));
});

Deno.test("SmtpSession logs a message cut short in DATA as aborted, and stores nothing", () => {
  const { session, deliveries } = runTranscript([EHLO, FROM, TO_ANDREW, DATA, {
    raw: "Subject: cut\r\n\r\npart",
    s: [],
  }]);
  const step = session.abandon("connection closed");
  assert.deepEqual(step.replies, []);
  assert.equal(step.close, undefined);
  assert.deepEqual(step.log, {
    id: "-",
    client: "127.0.0.1",
    sender: "stallings@localhost",
    recipients: ["andrew@localhost"],
    size: 16,
    outcome: "aborted: connection closed",
    user: undefined,
  });
  assert.equal(deliveries.length, 0);
  assert.equal(session.state, "ready");
  assert.equal(session.abandon("idle timeout").log, undefined, "nothing to log outside DATA");
});

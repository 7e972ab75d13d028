/**
 * SmtpSession transcripts for STARTTLS (RFC 3207) and implicit TLS (RFC
 * 8314): what EHLO offers, the go-ahead and its refusals, the fresh start
 * after it, and the trace line's protocol (RFC 3848).
 */

import assert from "node:assert/strict";
import { recordText, runTranscript, testOptions, type Turn } from "./transcript.ts";

/** EHLO's reply with the optional keywords given. */
function ehlo(...extra: string[]): Turn {
  const keywords = ["PIPELINING", "8BITMIME", "SIZE 1000", "ENHANCEDSTATUSCODES", "SMTPUTF8", ...extra, "HELP"];
  return {
    c: "EHLO client.test",
    s: ["250-mx.test greets client.test", ...keywords.map((k, i) => `250${i === keywords.length - 1 ? " " : "-"}${k}`)],
  };
}

const EHLO_PLAIN = ehlo("STARTTLS");
const EHLO_SECURE = ehlo("AUTH PLAIN LOGIN");
const STARTTLS: Turn = { c: "STARTTLS", s: ["220 2.0.0 Ready to start TLS"] };
const AVAILABLE = testOptions({ tls: "available" });
const FROM: Turn = { c: "MAIL FROM:<stallings@localhost>", s: ["250 2.1.0 Sender OK"] };
const TO: Turn = { c: "RCPT TO:<andrew@localhost>", s: ["250 2.1.5 Recipient OK"] };
const DATA: Turn = { c: "DATA", s: ["354 End data with <CR><LF>.<CR><LF>"] };
const AUTH_OK: Turn = {
  c: "AUTH PLAIN AFN0YWxsaW5ncwBuZXR3b3JrJHNlY3VyaXR5",
  s: ["235 2.7.0 Authentication succeeded"],
};
const MESSAGE: Turn = { raw: "From: stallings@localhost\r\n\r\nhi\r\n.\r\n", s: ["250 2.0.0 OK queued as ID1"] };

Deno.test("SmtpSession offers and starts TLS as RFC 3207 says", async (t) => {
  const cases: Record<string, Turn[]> = {
    "lists STARTTLS, not AUTH, before TLS to a remote client": [EHLO_PLAIN],
    "starts afresh after the go-ahead: EHLO again, which lists AUTH, not STARTTLS": [
      EHLO_PLAIN,
      STARTTLS,
      { c: "MAIL FROM:<a@b.test>", s: ["503 5.5.1 Bad sequence of commands: send HELO or EHLO first"] },
      EHLO_SECURE,
      { c: "MAIL FROM:<a@b.test>", s: ["250 2.1.0 Sender OK"] },
    ],
    "forgets a transaction's sender across the upgrade": [
      EHLO_PLAIN,
      { c: "RSET", s: ["250 2.0.0 OK"] },
      STARTTLS,
      EHLO_SECURE,
      { c: "RCPT TO:<andrew@localhost>", s: ["503 5.5.1 Bad sequence of commands: need MAIL before RCPT"] },
    ],
    "refuses STARTTLS during a transaction": [EHLO_PLAIN, { c: "MAIL FROM:<a@b.test>", s: ["250 2.1.0 Sender OK"] }, {
      c: "STARTTLS",
      s: ["503 5.5.1 Bad sequence of commands: mail transaction in progress"],
    }],
    "refuses STARTTLS before EHLO": [{
      c: "STARTTLS",
      s: ["503 5.5.1 Bad sequence of commands: send HELO or EHLO first"],
    }],
    "refuses STARTTLS with an argument": [EHLO_PLAIN, {
      c: "STARTTLS now",
      s: ["501 5.5.4 STARTTLS takes no parameters"],
    }],
    "refuses a second STARTTLS": [EHLO_PLAIN, STARTTLS, EHLO_SECURE, {
      c: "STARTTLS",
      s: ["503 5.5.1 Bad sequence of commands: TLS already active"],
    }],
    "treats the verb case-insensitively": [EHLO_PLAIN, { c: "starttls", s: STARTTLS.s }],
  };
  for (const [name, turns] of Object.entries(cases)) {
    await t.step(name, () => void runTranscript(turns, AVAILABLE));
  }
});

Deno.test("SmtpSession discards commands pipelined behind STARTTLS", () => {
  const { tlsAfterTurn, session } = runTranscript([
    EHLO_PLAIN,
    { raw: "STARTTLS\r\nRSET\r\nMAIL FROM:<evil@x.test>\r\n", s: STARTTLS.s },
    { c: "RCPT TO:<andrew@localhost>", s: ["503 5.5.1 Bad sequence of commands: send HELO or EHLO first"] },
  ], AVAILABLE);
  assert.equal(tlsAfterTurn, 2);
  assert.equal(session.state, "greet");
});

Deno.test("SmtpSession answers 454 when TLS cannot start, and goes on in plaintext", () => {
  runTranscript(
    [
      EHLO_PLAIN,
      { c: "STARTTLS", s: ["454 4.7.0 TLS not available due to temporary reason"] },
      FROM,
      EHLO_PLAIN,
    ],
    AVAILABLE,
    { tlsUnavailable: true },
  );
});

Deno.test("SmtpSession on an implicit-TLS port offers AUTH and refuses STARTTLS", () => {
  runTranscript([EHLO_SECURE, { c: "STARTTLS", s: ["503 5.5.1 Bad sequence of commands: TLS already active"] }], {
    ...testOptions({ tls: "active" }),
  });
});

Deno.test("SmtpSession forgets AUTH across STARTTLS", () => {
  runTranscript([
    ehlo("STARTTLS", "AUTH PLAIN LOGIN"),
    AUTH_OK,
    STARTTLS,
    EHLO_SECURE,
    { c: "MAIL FROM:<andrew@localhost>", s: ["250 2.1.0 Sender OK"] },
  ], testOptions({ tls: "available", loopback: true }));
});

Deno.test("SmtpSession names the protocol in the trace line (RFC 3848, RFC 6531 §3.7.3)", async (t) => {
  const UTF8_FROM: Turn = { c: "MAIL FROM:<stallings@localhost> SMTPUTF8", s: ["250 2.1.0 Sender OK"] };
  const cases: {
    name: string;
    turns: Turn[];
    options: ReturnType<typeof testOptions>;
    protocol: string;
    from?: Turn;
  }[] = [
    { name: "ESMTP", turns: [EHLO_PLAIN], options: AVAILABLE, protocol: "ESMTP" },
    { name: "UTF8SMTP with SMTPUTF8", turns: [EHLO_PLAIN], options: AVAILABLE, protocol: "UTF8SMTP", from: UTF8_FROM },
    {
      name: "UTF8SMTPSA with SMTPUTF8 after STARTTLS and AUTH",
      turns: [EHLO_PLAIN, STARTTLS, EHLO_SECURE, AUTH_OK],
      options: AVAILABLE,
      protocol: "UTF8SMTPSA",
      from: UTF8_FROM,
    },
    {
      name: "ESMTPS after STARTTLS",
      turns: [EHLO_PLAIN, STARTTLS, EHLO_SECURE],
      options: AVAILABLE,
      protocol: "ESMTPS",
    },
    {
      name: "ESMTPSA after STARTTLS and AUTH",
      turns: [EHLO_PLAIN, STARTTLS, EHLO_SECURE, AUTH_OK],
      options: AVAILABLE,
      protocol: "ESMTPSA",
    },
    {
      name: "ESMTPA after AUTH on loopback",
      turns: [ehlo("AUTH PLAIN LOGIN"), AUTH_OK],
      options: testOptions({ loopback: true }),
      protocol: "ESMTPA",
    },
    {
      name: "SMTP after HELO under TLS",
      turns: [{ c: "HELO client.test", s: ["250 mx.test greets client.test"] }],
      options: testOptions({ tls: "active" }),
      protocol: "SMTP",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { deliveries } = runTranscript([...c.turns, c.from ?? FROM, TO, DATA, MESSAGE], c.options);
      assert.match(recordText(deliveries[0]), new RegExp(` by mx\\.test with ${c.protocol} id ID1; `));
    });
  }
});

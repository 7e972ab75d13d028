/**
 * Generators of SMTP client input for the session fuzz test: commands good
 * and bad (RFC 5321, 1870, 6152, 6531, 3207, 4954), AUTH responses, DATA
 * bodies with smuggling sequences, whole transactions, all mutated and
 * pipelined at random.
 *
 * @module
 */

import fc from "fast-check";
import { encodeBase64 } from "../../lib/sasl.ts";
import { bytes, commandLine, concat } from "./fuzz.ts";

const domain = fc.constantFrom("client.test", "[127.0.0.1]", "localhost", "bücher.test", "", "a b", "x".repeat(300));
const address = fc.constantFrom(
  "<stallings@localhost>",
  "<andrew@localhost>",
  "<>",
  "<a@b.test>",
  "a@b.test",
  " <a@b.test>",
  "<jösé@b.test>",
  '<"a b"@b.test>',
  "<@relay.test,@x.test:a@b.test>",
  "<a@>",
  "<@b.test>",
  "<a b@c.test>",
  "<a@b.test",
  `<${"l".repeat(65)}@b.test>`,
  "<postmaster>",
);
const mailParam = fc.constantFrom(
  "SIZE=0",
  "SIZE=999",
  "SIZE=2000",
  "SIZE=2001",
  "SIZE=99999999999999999999",
  "SIZE=x",
  "SIZE",
  "BODY=7BIT",
  "BODY=8BITMIME",
  "BODY=BINARYMIME",
  "SMTPUTF8",
  "SMTPUTF8=1",
  "AUTH=<>",
  "AUTH",
  "FOO=bar",
  "=",
  "X=a=b",
);
const recipient = fc.constantFrom(
  "<andrew@localhost>",
  "<Fourouzan@MX.TEST>",
  "<postmaster>",
  "<Postmaster@localhost>",
  "<nobody@localhost>",
  "<a@remote.test>",
  "<@evil.test:andrew@localhost>",
  "<andrew@localhost@evil.test>",
  '<"andrew@localhost"@evil.test>',
  '<"andrew"@localhost>',
  "<andrew%evil.test@localhost>",
  "<andrew@[127.0.0.1]>",
  "<jörg@localhost>",
  "<>",
  "andrew@localhost",
  "<andrew@localhost> NOTIFY=NEVER",
);
const goodRecipient = fc.constantFrom("<andrew@localhost>", "<Stallings@mx.test>", "<postmaster>");

/** Base64 answers to AUTH challenges (RFC 4954 §4): right and wrong, malformed, and the "*" that cancels. */
const authResponse = fc.oneof(
  fc.constantFrom(
    "\0andrew\0pw",
    "\0andrew\0bad",
    "andrew\0andrew\0pw",
    "x\0andrew\0pw",
    "\0locked\0pw",
    "andrew",
    "pw",
  )
    .map(encodeBase64),
  fc.constantFrom("*", "=", "", "!!!", "YQ", "AA==", "\xff"),
);
const auth = fc.oneof(
  fc.constantFrom("AUTH PLAIN", "AUTH LOGIN", "AUTH login", "AUTH CRAM-MD5", "AUTH", "AUTH PLAIN =", "AUTH PLAIN a b"),
  fc.tuple(fc.constantFrom("PLAIN", "LOGIN"), authResponse).map(([m, r]) => `AUTH ${m} ${r}`),
  authResponse,
);

/** A whole AUTH exchange, pipelined: the command, then one or two responses. */
const authExchange = fc.tuple(fc.constantFrom("AUTH PLAIN", "AUTH LOGIN"), fc.array(authResponse, { maxLength: 2 }))
  .map(([c, r]) => bytes([c, ...r].map((l) => `${l}\r\n`).join("")));
const goodLogin = `AUTH PLAIN ${encodeBase64("\0andrew\0pw")}\r\n`;

const verb = fc.constantFrom("EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "HELP", "VRFY", "AUTH");
const commandText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom("EHLO", "HELO"), domain).map(([v, d]) => `${v} ${d}`) },
  {
    weight: 4,
    arbitrary: fc.tuple(address, fc.array(mailParam, { maxLength: 3 }))
      .map(([a, p]) => [`MAIL FROM:${a}`, ...p].join(" ")),
  },
  { weight: 5, arbitrary: recipient.map((r) => `RCPT TO:${r}`) },
  { weight: 3, arbitrary: fc.constantFrom("DATA", "DATA x", "RSET", "NOOP", "HELP", "VRFY andrew", "VRFY", "QUIT") },
  { weight: 3, arbitrary: auth },
  fc.constantFrom("STARTTLS", "STARTTLS x", "FOO bar", "EXPN staff", "BDAT 10 LAST", "", " ", "MAIL", "RCPT TO:"),
  fc.tuple(verb, fc.string({ maxLength: 12 })).map(([v, s]) => `${v}${s}`),
  fc.string({ unit: "binary", maxLength: 30 }),
);

const bodyPiece = fc.oneof(
  fc.constantFrom("\r\n", "\r", "\n", ".", "..", ".\r\n", "\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r", "\r\n.\r", "\n.\r"),
  fc.constantFrom("From: a@b.test\r\n", "From: andrew@localhost\r\n", "To: andrew@localhost\r\n", "Subject: hi\r\n"),
  fc.constantFrom("Received: x\r\n", "\r\n", "\r\n\r\n"),
  fc.string({ maxLength: 20 }),
  fc.integer({ min: 90, max: 1100 }).map((n) => "y".repeat(n)),
);

/** A DATA body: lines, dot lines, bare line ends and smuggling sequences, mostly ended by the real marker. */
export const body: fc.Arbitrary<Uint8Array> = fc.tuple(
  fc.array(bodyPiece, { maxLength: 12 }),
  fc.constantFrom("\r\n.\r\n", ".\r\n", "", "\r\n.\r\n"),
).map(([p, end]) => bytes(p.join("") + end));

/** MAIL, one to four RCPTs, DATA and a body, pipelined. */
export const transaction: fc.Arbitrary<Uint8Array> = fc.tuple(
  fc.constantFrom("<a@b.test>", "<andrew@localhost>"),
  fc.array(fc.oneof(goodRecipient, recipient), { minLength: 1, maxLength: 4 }),
  body,
).map(([from, to, b]) =>
  concat([bytes(`MAIL FROM:${from}\r\n${to.map((t) => `RCPT TO:${t}\r\n`).join("")}DATA\r\n`), b])
);

/** A whole client stream: usually a greeting command, then commands, transactions and stray bodies. */
export const smtpStream: fc.Arbitrary<Uint8Array> = fc.tuple(
  fc.constantFrom("EHLO client.test\r\n", "HELO c\r\n", `EHLO c\r\n${goodLogin}`, ""),
  fc.array(
    fc.oneof(
      { weight: 6, arbitrary: commandLine(commandText) },
      { weight: 2, arbitrary: transaction },
      { weight: 1, arbitrary: body },
      { weight: 1, arbitrary: authExchange },
    ),
    { maxLength: 25 },
  ),
).map(([hello, s]) => concat([bytes(hello), ...s]));

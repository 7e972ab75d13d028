/**
 * Generators of POP3 client input for the session fuzz test: commands of
 * RFC 1939, 2449, 2595 and 5034 with right and wrong arguments, AUTH PLAIN
 * responses, mutated and pipelined at random; and the listings and
 * connection facts the session is given.
 *
 * @module
 */

import fc from "fast-check";
import type { Pop3Security } from "../../lib/pop3/login.ts";
import type { MaildropListing } from "../../lib/pop3/session.ts";
import { encodeBase64 } from "../../lib/sasl.ts";
import { bytes, commandLine, concat } from "./fuzz.ts";

const number = fc.oneof(
  fc.integer({ min: 0, max: 9 }).map(String),
  fc.constantFrom("999999999", "9999999999", "-1", "+1", "abc", "1.5", "0x1", "", "1 2", "１", "00001", " 1"),
);
const plain = fc.constantFrom("\0andrew\0pw", "\0andrew\0no", "andrew\0andrew\0pw", "\0busy\0pw", "\0locked\0x", "pw")
  .map(encodeBase64);
const command: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom("USER andrew", "USER busy", "USER temp", "USER nobody", "USER", "USER a b") },
  { weight: 2, arbitrary: fc.constantFrom("PASS pw", "PASS wrong", "PASS pw ", "PASS p w", "PASS") },
  {
    weight: 6,
    arbitrary: fc.tuple(fc.constantFrom("LIST", "UIDL", "RETR", "DELE"), number).map(([v, n]) => `${v} ${n}`),
  },
  { weight: 2, arbitrary: fc.tuple(number, number).map(([n, k]) => `TOP ${n} ${k}`) },
  { weight: 4, arbitrary: fc.constantFrom("STAT", "LIST", "UIDL", "RSET", "NOOP", "CAPA", "STAT 1", "RSET x") },
  { weight: 2, arbitrary: fc.oneof(plain.map((p) => `AUTH PLAIN ${p}`), plain, fc.constantFrom("AUTH PLAIN", "*")) },
  fc.constantFrom("AUTH", "AUTH LOGIN", "AUTH PLAIN =", "AUTH PLAIN a b", "STLS", "STLS x", "!!", "AUTH PLAIN  x"),
  fc.constantFrom("QUIT", "QUIT now", "FOO", "APOP andrew 0123", "", " ", "TOP 1", "DELE"),
  fc.string({ unit: "binary", maxLength: 20 }),
);

/** A client stream: usually a login first, then commands good and bad. */
export const pop3Stream: fc.Arbitrary<Uint8Array> = fc.tuple(
  fc.constantFrom(
    "USER andrew\r\nPASS pw\r\n",
    `AUTH PLAIN ${encodeBase64("\0andrew\0pw")}\r\n`,
    "USER busy\r\nPASS pw\r\n",
    "",
  ),
  fc.array(commandLine(command), { maxLength: 40, size: "medium" }),
).map(([start, lines]) => concat([bytes(start), ...lines]));

/** A maildrop listing of up to 8 messages with random sizes and unique ids. */
export const maildrop: fc.Arbitrary<MaildropListing> = fc.array(
  fc.tuple(fc.nat({ max: 100_000 }), fc.stringMatching(/^[\x21-\x7e]{1,8}$/)),
  { maxLength: 8 },
)
  .map((msgs): MaildropListing => ({
    count: msgs.length,
    totalSize: msgs.reduce((n, [size]) => n + size, 0),
    size: (i) => msgs[i][0],
    id: (i) => `${msgs[i][1]}${i}`,
  }));

/** Whether TLS is offered or up, and who may send passwords without it. */
export const security: fc.Arbitrary<Pop3Security> = fc.record({
  tls: fc.constantFrom("none" as const, "available" as const, "active" as const),
  loopback: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, fc.constant(false)),
  allowPlaintextLogin: fc.boolean(),
});

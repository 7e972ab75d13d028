/**
 * SMTP fuzz sessions for a real `smtpmail` (RFC 5321 and the extensions it
 * offers): valid conversations with the seed's users (deliveries, AUTH PLAIN
 * and LOGIN, several transactions), the conversations of the transcript
 * tests (`tests/smtp/session_test.ts`), the random command streams of the
 * session fuzz test (`tests/fuzz/smtp_streams.ts`), and mutations, huge
 * lines, binary and pipelining bursts made from them.
 *
 * @module
 */

import fc from "fast-check";
import { encodeBase64 } from "../../lib/sasl.ts";
import { smtpStream } from "../../tests/fuzz/smtp_streams.ts";
import {
  abruptEnding,
  binarySession,
  burstEnding,
  chunking,
  type Conversation,
  cut,
  hugeSession,
  mutatedFrom,
  type SessionPlan,
  utf8,
  validFrom,
} from "./plan.ts";

/** The seed's users and passwords, as in the repository's userlogincred.txt. */
export const SEED_CREDENTIALS: readonly { user: string; password: string }[] = [
  { user: "Stallings", password: "network$security" },
  { user: "Fourouzan", password: "d@t@comm" },
  { user: "Andrew", password: "@dministr@tor" },
];

const credentials = fc.constantFrom(...SEED_CREDENTIALS);
const hello = fc.constantFrom("EHLO client.test", "EHLO [127.0.0.1]", "HELO c.test", "ehlo fuzz.example", "EHLO x");
const recipient = fc.constantFrom(
  "<andrew@localhost>",
  "<Stallings@localhost>",
  "<fourouzan@LOCALHOST>",
  "<postmaster>",
  "<postmaster@localhost>",
  "<ANDREW@localhost>",
);
const textLine = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: fc.constantFrom(..."abc xyz,.!?-=:;0189AZ\t"), maxLength: 120 }) },
  { weight: 2, arbitrary: fc.constantFrom("", ".", "..", ".hidden", ". ", "From me", ">From", "-- ", "=3D=0A") },
  { weight: 1, arbitrary: fc.constantFrom("Grüße aus Köln", "日本語のテキスト", "emoji 🎉 ok", "naïve café") },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 998 }).map((n) => "w".repeat(n)) },
);

/** A message body: a few lines, or now and then a large one (up to about 200 KB). */
const bodyLines = fc.oneof(
  { weight: 9, arbitrary: fc.array(textLine, { maxLength: 30 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.array(textLine, { minLength: 1, maxLength: 10 }), fc.integer({ min: 10, max: 400 }))
      .map(([lines, times]) => Array.from({ length: times }, () => lines).flat()),
  },
);

/** Dot-stuffs lines and ends them with the end marker (RFC 5321 §4.5.2). */
export function dataTurn(lines: readonly string[]): string {
  return lines.map((l) => `${l.startsWith(".") ? "." : ""}${l}\r\n`).join("") + ".\r\n";
}

/** One transaction's turns; `from` is the envelope sender's address without brackets ("" for the null path). */
function transaction(from: string, headerFrom: string): fc.Arbitrary<string[]> {
  return fc.tuple(
    fc.array(recipient, { minLength: 1, maxLength: 3 }),
    fc.string({ unit: fc.constantFrom(..."abcdef 0123"), maxLength: 40 }),
    bodyLines,
    fc.subarray(["SIZE", "BODY=8BITMIME", "extra headers"]),
    fc.constantFrom("", "RSET", "NOOP"),
  ).map(([to, subject, lines, options, after]) => {
    const headers = [`From: ${headerFrom}`, `To: ${to.map((t) => t.slice(1, -1)).join(", ")}`, `Subject: ${subject}`];
    if (options.includes("extra headers")) {
      headers.push("Date: Fri, 27 Nov 2026 09:45:57 +0000", "Message-ID: <fuzz@client.test>", "MIME-Version: 1.0");
    }
    const data = dataTurn([...headers, "", ...lines]);
    const params = [
      ...(options.includes("SIZE") ? [`SIZE=${utf8(data).length}`] : []),
      ...(options.includes("BODY=8BITMIME") ? ["BODY=8BITMIME"] : []),
    ];
    return [
      [`MAIL FROM:<${from}>`, ...params].join(" ") + "\r\n",
      ...to.map((t) => `RCPT TO:${t}\r\n`),
      "DATA\r\n",
      data,
      ...(after ? [`${after}\r\n`] : []),
    ];
  });
}

/** AUTH as a seed user (RFC 4954): PLAIN with an initial response, PLAIN in two steps, or LOGIN. */
const login = fc.tuple(credentials, fc.constantFrom("PLAIN", "PLAIN-2", "LOGIN"), fc.boolean())
  .map(([c, how, lower]) => {
    const name = lower ? c.user.toLowerCase() : c.user;
    const plain = encodeBase64(`\0${name}\0${c.password}`);
    const turns = how === "PLAIN"
      ? [`AUTH PLAIN ${plain}\r\n`]
      : how === "PLAIN-2"
      ? ["AUTH PLAIN\r\n", `${plain}\r\n`]
      : ["AUTH LOGIN\r\n", `${encodeBase64(name)}\r\n`, `${encodeBase64(c.password)}\r\n`];
    return { user: c.user, turns };
  });

/**
 * A valid conversation: a greeting command, maybe AUTH as a seed user (then
 * sending as that user, as the server requires), one to three
 * transactions, odd commands between them, and QUIT.
 */
export const validSmtp: fc.Arbitrary<Conversation> = fc.tuple(hello, fc.option(login, { freq: 3 }), fc.nat())
  .chain(([greet, auth, pick]) => {
    const own = auth ? `${auth.user.toLowerCase()}@localhost` : undefined;
    const senders = ["stallings@localhost", "someone@remote.test", "", "andrew@localhost"];
    const from = own ?? senders[pick % senders.length];
    const headerFrom = own ?? (from || "mailer-daemon@remote.test");
    const between = fc.constantFrom("NOOP\r\n", "RSET\r\n", "HELP\r\n", "VRFY andrew\r\n", "");
    return fc.array(fc.tuple(transaction(from, headerFrom), between), { minLength: 1, maxLength: 3 })
      .map((txs) => ({
        turns: [
          `${greet}\r\n`,
          ...(greet.startsWith("EHLO") || greet.startsWith("ehlo") ? auth?.turns ?? [] : []),
          ...txs.flatMap(([t, b]) => b ? [...t, b] : t),
          "QUIT\r\n",
        ],
        endsWithQuit: true,
      }));
  });

const EHLO = "EHLO client.test\r\n";
const FROM = "MAIL FROM:<stallings@localhost>\r\n";
const TO = "RCPT TO:<andrew@localhost>\r\n";
const SEED_MAIL = dataTurn([
  "From: stallings@localhost",
  "To: andrew@localhost",
  "Subject: Network Lab Experiment 7",
  "",
  "You have learned SMTP very well. Keep It Up!!!",
]);

/**
 * The client side of the transcripts in `tests/smtp/session_test.ts`, with
 * the seed's real users and passwords.
 */
export const SMTP_TRANSCRIPTS: readonly Conversation[] = [
  ["helo client.test\r\n", "QUIT\r\n"],
  [FROM, EHLO, FROM, FROM, "QUIT\r\n"],
  [EHLO, "mail from:<a@b.test>\r\n", "RSET\r\n", "MAIL FROM:<>\r\n", "RCPT TO:<postmaster>\r\n", "QUIT\r\n"],
  [EHLO, "MAIL FROM: <a@b.test>\r\n", "MAIL FROM:<a@>\r\n", "FOO bar\r\n", "EXPN staff\r\n", "QUIT\r\n"],
  [EHLO, "VRFY andrew\r\n", "HELP\r\n", "NOOP\r\n", "STARTTLS\r\n", "QUIT\r\n"],
  [EHLO, "MAIL FROM:<a@b.test> BODY=7bit\r\n", "RSET\r\n", "MAIL FROM:<a@b.test> SIZE=x\r\n", "QUIT\r\n"],
  [EHLO, FROM, TO, "RCPT TO:<stallings@localhost>\r\n", "RCPT TO:<fourouzan@localhost>\r\n", "QUIT\r\n"],
  [EHLO, `NOOP ${"x".repeat(600)}\r\n`, "NOOP\r\n", "QUIT\r\n"],
  ["FOO\r\n", "FOO\r\n", "FOO\r\n", "FOO\r\n", "FOO\r\n", "FOO\r\n", "FOO\r\n", "FOO\r\n", "FOO\r\n", "FOO\r\n"],
  [EHLO, FROM, TO, "DATA\r\n", SEED_MAIL, "QUIT\r\n"],
  [EHLO, FROM, TO, "RCPT TO:<Andrew@localhost>\r\n", "RCPT TO:<stallings@localhost>\r\n", "DATA\r\n", SEED_MAIL],
  ...["a\n.\n", "a\r\n.\n", "a\n.\r\n", "a\r.\r", "a\r\n.\r"].map((s) => [
    EHLO,
    FROM,
    TO,
    "DATA\r\n",
    `${s}MAIL FROM:<evil@x.test>\r\n.\r\n`,
    "QUIT\r\n",
  ]),
  [EHLO, FROM, TO, "DATA\r\n", `${"z".repeat(1200)}\r\n.\r\n`, "NOOP\r\n", "QUIT\r\n"],
  ["HELO c.test\r\n", FROM, TO, "DATA\r\n", "one\r\n.\r\n", FROM, TO, "DATA\r\n", "two\r\n.\r\n", "QUIT\r\n"],
  [EHLO, FROM, TO, "DATA\r\n", "cut short\r\n"],
  [
    EHLO,
    `AUTH PLAIN ${encodeBase64("\0Stallings\0network$security")}\r\n`,
    FROM,
    TO,
    "DATA\r\n",
    SEED_MAIL,
    "QUIT\r\n",
  ],
  [EHLO, "AUTH LOGIN\r\n", `${encodeBase64("Andrew")}\r\n`, "*\r\n", "AUTH PLAIN\r\n", "*\r\n", "QUIT\r\n"],
  [EHLO, `AUTH PLAIN ${encodeBase64("\0Andrew\0@dministr@tor")}\r\n`, FROM, "QUIT\r\n"],
].map((turns) => ({ turns, endsWithQuit: turns[turns.length - 1] === "QUIT\r\n" }));

const conversation: fc.Arbitrary<Conversation> = fc.oneof(
  { weight: 4, arbitrary: validSmtp },
  { weight: 1, arbitrary: fc.constantFrom(...SMTP_TRANSCRIPTS) },
);

/** The random streams of the session fuzz test, sometimes after a real login so that AUTH'd rules get hit. */
const streamSession: fc.Arbitrary<SessionPlan> = fc.tuple(
  fc.constantFrom("", `EHLO c\r\nAUTH PLAIN ${encodeBase64("\0Fourouzan\0d@t@comm")}\r\n`),
  smtpStream,
  chunking,
  abruptEnding,
).map(([prefix, stream, how, ending]) => () => ({
  kind: "stream",
  writes: cut([utf8(prefix), stream], how),
  lockstep: false,
  ending,
}));

/** Many transactions or commands in one write, the replies read as they come; ended as `burstEnding` says. */
const burstSession: fc.Arbitrary<SessionPlan> = fc.oneof(
  fc.tuple(fc.array(validSmtp, { minLength: 5, maxLength: 40 }), burstEnding).map(([cs, end]) => () => ({
    kind: "burst",
    writes: [utf8([EHLO, ...cs.flatMap((c) => c.turns.slice(1, -1)), end.quit].join(""))],
    lockstep: false,
    ending: end.ending,
  })),
  fc.tuple(
    fc.constantFrom("NOOP\r\n", "RSET\r\n", "HELP\r\n", "EHLO x\r\n", "VRFY a\r\n"),
    fc.integer({ min: 100, max: 3000 }),
    burstEnding,
  )
    .map(([line, n, end]) => () => ({
      kind: "burst",
      writes: [utf8(`EHLO c\r\n${line.repeat(n)}${end.quit}`)],
      lockstep: false,
      ending: end.ending,
    })),
);

/** Where a huge line may come: greeting, command, AUTH exchange, DATA; then nothing, or more input. */
const hugePhase = fc.record({
  prefix: fc.constantFrom("", EHLO, `${EHLO}AUTH LOGIN\r\n`, `${EHLO}${FROM}${TO}DATA\r\n`, `${EHLO}${FROM}`),
  suffix: fc.constantFrom("", "\r\nQUIT\r\n", "\r\n.\r\nQUIT\r\n", `\r\n${FROM}${TO}DATA\r\nok\r\n.\r\nQUIT\r\n`),
});

/** Every kind of SMTP session, weighted: mostly valid, mutated and random streams. */
export const smtpSession: fc.Arbitrary<SessionPlan> = fc.oneof(
  { weight: 30, arbitrary: validFrom(conversation) },
  { weight: 30, arbitrary: mutatedFrom(conversation) },
  { weight: 25, arbitrary: streamSession },
  { weight: 5, arbitrary: burstSession },
  { weight: 3, arbitrary: hugeSession(hugePhase) },
  { weight: 7, arbitrary: binarySession },
);

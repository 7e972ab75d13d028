/**
 * POP3 fuzz sessions for a real `popserver` (RFC 1939, 2449, 5034): valid
 * conversations with the seed's users (login by USER/PASS or AUTH PLAIN,
 * STAT, LIST, UIDL, RETR, TOP, DELE, RSET, QUIT, and now and then a drain
 * that deletes a whole maildrop), the conversations of the transcript tests
 * (`tests/pop3/session_test.ts`), the random command streams of the session
 * fuzz test (`tests/fuzz/pop3_streams.ts`), and mutations, huge lines,
 * binary and pipelining bursts made from them.
 *
 * @module
 */

import fc from "fast-check";
import { encodeBase64 } from "../../lib/sasl.ts";
import { pop3Stream } from "../../tests/fuzz/pop3_streams.ts";
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
import { SEED_CREDENTIALS } from "./smtp_sessions.ts";

const credentials = fc.constantFrom(...SEED_CREDENTIALS);

/** A login as a seed user: USER/PASS (the name in any case), AUTH PLAIN with or without an initial response. */
const login = fc.tuple(
  credentials,
  fc.constantFrom("USER", "PLAIN", "PLAIN-2"),
  fc.constantFrom("as is", "lower", "upper"),
)
  .map(([c, how, casing]) => {
    const name = casing === "lower" ? c.user.toLowerCase() : casing === "upper" ? c.user.toUpperCase() : c.user;
    const plain = encodeBase64(`\0${name}\0${c.password}`);
    if (how === "USER") return [`USER ${name}\r\n`, `PASS ${c.password}\r\n`];
    return how === "PLAIN" ? [`AUTH PLAIN ${plain}\r\n`] : ["AUTH PLAIN\r\n", `${plain}\r\n`];
  });

const n = fc.integer({ min: 1, max: 6 });
const transactionCommand = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("STAT", "LIST", "UIDL", "NOOP", "RSET", "CAPA") },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom("LIST", "UIDL", "RETR", "DELE"), n).map(([v, k]) => `${v} ${k}`) },
  { weight: 1, arbitrary: fc.tuple(n, fc.integer({ min: 0, max: 20 })).map(([k, lines]) => `TOP ${k} ${lines}`) },
);

/**
 * A valid conversation: maybe CAPA first, a login as a seed user, commands
 * on its maildrop, sometimes a drain (DELE of every number up to a bound,
 * which keeps the maildrops the SMTP sessions fill from growing without
 * end), and QUIT, which commits the deletions.
 */
export const validPop3: fc.Arbitrary<Conversation> = fc.tuple(
  fc.boolean(),
  login,
  fc.array(transactionCommand, { maxLength: 12 }),
  fc.option(fc.integer({ min: 20, max: 300 }), { freq: 3 }),
).map(([capa, auth, commands, drain]) => ({
  turns: [
    ...(capa ? ["CAPA\r\n"] : []),
    ...auth,
    ...commands.map((c) => `${c}\r\n`),
    ...(drain === null ? [] : [Array.from({ length: drain }, (_, i) => `DELE ${i + 1}\r\n`).join("")]),
    "QUIT\r\n",
  ],
  endsWithQuit: true,
}));

const USER = "USER Andrew\r\n";
const PASS = "PASS @dministr@tor\r\n";

/**
 * The client side of the transcripts in `tests/pop3/session_test.ts`, with
 * the seed's real users and passwords.
 */
export const POP3_TRANSCRIPTS: readonly Conversation[] = [
  ["CAPA\r\n", USER, PASS, "capa\r\n", "QUIT\r\n"],
  ["STAT\r\n", "NOOP\r\n", "PASS pw\r\n", "QUIT\r\n"],
  [USER, "PASS nope\r\n", "STAT\r\n", "QUIT\r\n"],
  ["USER x\r\n", "PASS two words \r\n", "QUIT\r\n"],
  [USER, PASS, "USER andrew\r\n", "STAT\r\n", "LIST\r\n", "LIST 2\r\n", "UIDL\r\n", "UIDL 3\r\n", "QUIT\r\n"],
  [USER, PASS, "RETR 1\r\n", "RETR 0\r\n", "RETR 4\r\n", "LIST 9\r\n", "RETR abc\r\n", "DELE\r\n", "QUIT\r\n"],
  [USER, PASS, "TOP 1\r\n", "STAT 1\r\n", "XYZZY\r\n", "TOP 1 0\r\n", "TOP 2 3\r\n", "QUIT\r\n"],
  [USER, PASS, "DELE 2\r\n", "STAT\r\n", "LIST\r\n", "RETR 2\r\n", "DELE 2\r\n", "RETR 3\r\n", "QUIT\r\n"],
  [USER, PASS, "DELE 1\r\n", "RSET\r\n", "RETR 1\r\n", "QUIT\r\n"],
  [USER, PASS, "DELE 1\r\n", "DELE 3\r\n", "QUIT\r\n"],
  [USER, PASS, "NOOP\r\n", "QUIT\r\n"],
  [`AUTH PLAIN ${encodeBase64("\0Fourouzan\0d@t@comm")}\r\n`, "STAT\r\n", "QUIT\r\n"],
  ["AUTH PLAIN\r\n", "*\r\n", "AUTH LOGIN\r\n", "STLS\r\n", "QUIT\r\n"],
  [USER, PASS, "DELE 1\r\n"],
].map((turns) => ({ turns, endsWithQuit: turns[turns.length - 1] === "QUIT\r\n" }));

const conversation: fc.Arbitrary<Conversation> = fc.oneof(
  { weight: 4, arbitrary: validPop3 },
  { weight: 1, arbitrary: fc.constantFrom(...POP3_TRANSCRIPTS) },
);

/** The random streams of the session fuzz test, sometimes after a real login so that they run in a maildrop. */
const streamSession: fc.Arbitrary<SessionPlan> = fc.tuple(
  fc.oneof(fc.constant([] as string[]), login),
  pop3Stream,
  chunking,
  abruptEnding,
).map(([prefix, stream, how, ending]) => () => ({
  kind: "stream",
  writes: cut([utf8(prefix.join("")), stream], how),
  lockstep: false,
  ending,
}));

/** A login, then hundreds of commands in one write, ended by QUIT, or by FIN or a close without it. */
const burstSession: fc.Arbitrary<SessionPlan> = fc.tuple(
  login,
  fc.constantFrom(
    "STAT\r\n",
    "LIST\r\n",
    "UIDL\r\n",
    "RETR 1\r\n",
    "TOP 1 0\r\n",
    "NOOP\r\n",
    "CAPA\r\n",
    "LIST 1\r\n",
  ),
  fc.integer({ min: 100, max: 2000 }),
  burstEnding,
).map(([auth, line, count, end]) => () => ({
  kind: "burst",
  writes: [utf8(`${auth.join("")}${line.repeat(count)}${end.quit}`)],
  lockstep: false,
  ending: end.ending,
}));

/** Where a huge line may come: before login, after USER, inside AUTH, after login; then nothing or QUIT. */
const hugePhase = fc.record({
  prefix: fc.constantFrom("", USER, "AUTH PLAIN\r\n", `${USER}${PASS}`, "CAPA\r\n"),
  suffix: fc.constantFrom("", "\r\nQUIT\r\n", "\r\nSTAT\r\nQUIT\r\n"),
});

/** Every kind of POP3 session, weighted: mostly valid, mutated and random streams. */
export const pop3Session: fc.Arbitrary<SessionPlan> = fc.oneof(
  { weight: 30, arbitrary: validFrom(conversation) },
  { weight: 30, arbitrary: mutatedFrom(conversation) },
  { weight: 25, arbitrary: streamSession },
  { weight: 5, arbitrary: burstSession },
  { weight: 3, arbitrary: hugeSession(hugePhase) },
  { weight: 7, arbitrary: binarySession },
);

import assert from "node:assert/strict";
import { TopCutter } from "../../lib/pop3/top_cutter.ts";
import { play, type Turn } from "./transcript.ts";

const LOGIN: Turn[] = [
  { c: "USER andrew", s: ["+OK Send your password"] },
  { c: "PASS pw", s: ["+OK Andrew's maildrop has 3 messages (400 octets)"] },
];
const CAPA = [
  "+OK Capability list follows",
  "TOP",
  "UIDL",
  "USER",
  "SASL PLAIN",
  "RESP-CODES",
  "AUTH-RESP-CODE",
  "PIPELINING",
  "IMPLEMENTATION smtpmail",
  ".",
];

Deno.test("Pop3Session follows RFC 1939 in each state", async (t) => {
  const cases: Record<string, Turn[]> = {
    "lists capabilities before login": [{ c: "CAPA", s: CAPA }],
    "lists capabilities after login": [...LOGIN, { c: "capa", s: CAPA }],
    "refuses transaction commands before login": [{ c: "STAT", s: ["-ERR STAT is not allowed before login"] }],
    "refuses NOOP before login": [{ c: "NOOP", s: ["-ERR NOOP is not allowed before login"] }],
    "refuses PASS without USER": [{ c: "PASS pw", s: ["-ERR Send USER first"] }],
    "answers a wrong password with [AUTH]": [
      { c: "USER andrew", s: ["+OK Send your password"] },
      { c: "PASS nope", s: ["-ERR [AUTH] Invalid user name or password"] },
      { c: "STAT", s: ["-ERR STAT is not allowed before login"] },
    ],
    "answers a locked maildrop with [IN-USE]": [
      { c: "USER busy", s: ["+OK Send your password"] },
      { c: "PASS pw", s: ["-ERR [IN-USE] Maildrop is already locked by another session"] },
    ],
    "keeps spaces in PASS": [{ c: "USER x", s: ["+OK Send your password"] }, {
      c: "PASS a b",
      s: ["-ERR [AUTH] Invalid user name or password"],
    }],
    "quits before login without committing": [{ c: "QUIT", s: ["+OK pop.test POP3 server signing off"], close: true }],
    "refuses USER after login": [...LOGIN, { c: "USER andrew", s: ["-ERR USER is not allowed after login"] }],
    "answers STAT": [...LOGIN, { c: "STAT", s: ["+OK 3 400"] }],
    "answers LIST": [...LOGIN, { c: "LIST", s: ["+OK 3 messages (400 octets)", "1 120", "2 200", "3 80", "."] }],
    "answers LIST n": [...LOGIN, { c: "LIST 2", s: ["+OK 2 200"] }],
    "answers UIDL": [...LOGIN, { c: "UIDL", s: ["+OK Unique-id listing follows", "1 uid1", "2 uid2", "3 uid3", "."] }],
    "answers UIDL n": [...LOGIN, { c: "UIDL 3", s: ["+OK 3 uid3"] }],
    "retrieves a message": [...LOGIN, { c: "RETR 1", s: ["+OK 120 octets", "<data of uid1>"] }],
    "sends the top of a message": [...LOGIN, {
      c: "TOP 2 5",
      s: ["+OK Top of message follows", "<data of uid2 top 5>"],
    }],
    "refuses message numbers out of range": [
      ...LOGIN,
      { c: "RETR 0", s: ["-ERR No such message: 0 (maildrop has 3)"] },
      { c: "RETR 4", s: ["-ERR No such message: 4 (maildrop has 3)"] },
      { c: "LIST 9", s: ["-ERR No such message: 9 (maildrop has 3)"] },
    ],
    "refuses bad arguments": [
      ...LOGIN,
      { c: "RETR abc", s: ["-ERR expected one message number"] },
      { c: "DELE", s: ["-ERR expected one message number"] },
      { c: "TOP 1", s: ["-ERR TOP needs a message number and a line count"] },
      { c: "STAT 1", s: ["-ERR STAT takes no argument"] },
    ],
    "answers unknown commands": [{ c: "XYZZY", s: ["-ERR Unknown command XYZZY"] }],
    "marks a message deleted and keeps numbers fixed": [
      ...LOGIN,
      { c: "DELE 2", s: ["+OK Message 2 deleted"] },
      { c: "STAT", s: ["+OK 2 200"] },
      { c: "LIST", s: ["+OK 2 messages (200 octets)", "1 120", "3 80", "."] },
      { c: "RETR 2", s: ["-ERR Message 2 already deleted"] },
      { c: "DELE 2", s: ["-ERR Message 2 already deleted"] },
      { c: "RETR 3", s: ["+OK 80 octets", "<data of uid3>"] },
    ],
    "unmarks deletions on RSET": [
      ...LOGIN,
      { c: "DELE 1", s: ["+OK Message 1 deleted"] },
      { c: "RSET", s: ["+OK Maildrop has 3 messages (400 octets)"] },
      { c: "RETR 1", s: ["+OK 120 octets", "<data of uid1>"] },
    ],
    "commits deletions on QUIT": [
      ...LOGIN,
      { c: "DELE 1", s: ["+OK Message 1 deleted"] },
      { c: "DELE 3", s: ["+OK Message 3 deleted"] },
      {
        c: "QUIT",
        s: ["<commit uid1,uid3>", "+OK pop.test POP3 server signing off (1 message left)"],
        close: true,
      },
    ],
    "answers NOOP after login": [...LOGIN, { c: "NOOP", s: ["+OK"] }],
  };
  for (const [name, turns] of Object.entries(cases)) {
    await t.step(name, () => void play(turns));
  }
});

Deno.test("Pop3Session refuses an over-long line and changes nothing", () => {
  const { session } = play(LOGIN);
  assert.deepEqual(session.receive("", true).replies, ["-ERR Line too long"]);
  assert.equal(session.state, "transaction");
});

Deno.test("Pop3Session reports a failed commit with [SYS/TEMP]", () => {
  play([...LOGIN, {
    c: "QUIT",
    s: ["<commit >", "-ERR [SYS/TEMP] Some deleted messages not removed, try again later"],
    close: true,
  }], { commitOk: false });
});

Deno.test("TopCutter sends the header and n body lines, whatever the chunking", async (t) => {
  const stored = "From: a\r\nSubject: b\r\n\r\nline1\r\n..dot\r\nline3\r\n.\r\n";
  const bytes = new TextEncoder().encode(stored);
  const expected: Record<number, string> = {
    0: "From: a\r\nSubject: b\r\n\r\n",
    1: "From: a\r\nSubject: b\r\n\r\nline1\r\n",
    2: "From: a\r\nSubject: b\r\n\r\nline1\r\n..dot\r\n",
    3: "From: a\r\nSubject: b\r\n\r\nline1\r\n..dot\r\nline3\r\n",
    99: "From: a\r\nSubject: b\r\n\r\nline1\r\n..dot\r\nline3\r\n",
  };
  for (const chunkSize of [1, 2, 3, 7, 1000]) {
    await t.step(`chunks of ${chunkSize}`, () => {
      for (const [n, want] of Object.entries(expected)) {
        const cutter = new TopCutter(Number(n), bytes.length);
        let out = "";
        for (let at = 0; at < bytes.length && !cutter.done; at += chunkSize) {
          out += new TextDecoder().decode(cutter.take(bytes.subarray(at, at + chunkSize)));
        }
        assert.equal(out, want, `TOP ${n}`);
        assert.ok(cutter.done);
      }
    });
  }
});

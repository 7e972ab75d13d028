/**
 * The checker's pure parts: reply syntax, its command line, the report's
 * lines, the test messages and POP3 octet counting.
 */

import assert from "node:assert/strict";
import { parseCheckArgs } from "../../lib/check/args.ts";
import { UsageError } from "../../lib/cli.ts";
import { octets, unstuff } from "../../lib/check/pop3_probe.ts";
import { resultLines, summaryLine } from "../../lib/check/report.ts";
import { fail, notOffered, PASS, type Result, type Rule } from "../../lib/check/rule.ts";
import { ehloKeywords, replySyntaxError } from "../../lib/check/smtp_reply.ts";
import { dataWire, markOf, messageLines, testMessage } from "../../lib/check/test_message.ts";

Deno.test("replySyntaxError accepts well-formed replies and says what is wrong with the others", () => {
  const cases: [string[], string | undefined][] = [
    [["220 ready"], undefined],
    [["250"], undefined],
    [["250-a", "250-b", "250 c"], undefined],
    [["250-a", "251 b"], 'line 2 of a 250 reply is "251 b"'],
    [["250-a", "250-b"], 'the reply\'s last line "250-b" has "-" after its code'],
    [["250 a", "250 b"], 'line 1 "250 a" has no "-" after its code, yet more lines followed'],
    [["OK"], '"OK" does not begin with a reply code 2yz-5yz and a space or "-"'],
    [["199 x"], '"199 x" does not begin with a reply code 2yz-5yz and a space or "-"'],
    [["2500 x"], '"2500 x" does not begin with a reply code 2yz-5yz and a space or "-"'],
  ];
  for (const [lines, error] of cases) assert.equal(replySyntaxError(lines), error, lines.join("|"));
  assert.deepEqual(
    [...ehloKeywords({ code: 250, lines: ["250-host", "250-SIZE 100", "250 auth PLAIN"] })],
    [["SIZE", ["100"]], ["AUTH", ["PLAIN"]]],
  );
});

Deno.test("parseCheckArgs reads both forms and refuses what does not fit", () => {
  assert.deepEqual(parseCheckArgs(["smtp://mail.test", "--rcpt", "a@b"]), {
    target: { protocol: "smtp", host: "mail.test", port: 25 },
    tls: "none",
    timeoutMs: 10_000,
    rcpt: "a@b",
  });
  const args = ["pop3://[::1]", "--tls", "--user", "u", "--pass", "p", "--smtp", "smtp://h:2525", "--timeout", "3"];
  assert.deepEqual(parseCheckArgs(args), {
    target: { protocol: "pop3", host: "::1", port: 995 },
    tls: "implicit",
    timeoutMs: 3_000,
    user: "u",
    pass: "p",
    smtp: { protocol: "smtp", host: "h", port: 2525 },
    rcpt: "u@localhost",
  });
  for (
    const bad of [
      ["smtp://h"],
      ["smtp://h", "--rcpt", "a@b", "--smtp", "smtp://x"],
      ["smtp://h", "--rcpt", "a@b", "--pop3", "pop3://x"],
      ["pop3://h", "--user", "u", "--pass", "p", "--rcpt", "a@b"],
      ["pop3://h:0", "--user", "u", "--pass", "p"],
      ["http://h", "--rcpt", "a@b"],
      ["smtp://h/path", "--rcpt", "a@b"],
      ["smtp://h", "--rcpt", "a@b", "--timeout", "0"],
      ["smtp://h", "--rcpt", "a@b", "--timeout", "1.5"],
    ]
  ) {
    assert.throws(() => parseCheckArgs(bad), UsageError, bad.join(" "));
  }
});

const RULE: Rule<never> = {
  id: "smtp.x",
  ref: "RFC 5321 3.3",
  title: "a title",
  expects: "what it wants",
  required: true,
  run: () => Promise.resolve(PASS),
};
const RECORD = {
  time: new Date(Date.UTC(2026, 10, 27, 9, 45, 57, 123)),
  protocol: "smtp" as const,
  session: 3,
  direction: "C" as const,
  line: "NOOP",
  note: "RFC 5321 4.1.1.9 NOOP: does nothing",
};

Deno.test("resultLines prints a rule's line, and under a failure what was found, expected and exchanged", () => {
  const passed: Result = { rule: RULE, verdict: PASS, exchange: [RECORD] };
  assert.deepEqual(resultLines(passed), [
    "pass        RFC 5321 3.3        smtp.x                         a title",
  ]);
  const failed: Result = { rule: { ...RULE, required: false }, verdict: fail("it did not"), exchange: [RECORD] };
  assert.deepEqual(resultLines(failed), [
    "fail        RFC 5321 3.3        smtp.x                         a title (optional)",
    "    found:    it did not",
    "    expected: what it wants",
    "    exchange:",
    "      09:45:57.123 smtp/3 C: NOOP                                     # RFC 5321 4.1.1.9 NOOP: does nothing",
  ]);
  const absent: Result = { rule: RULE, verdict: notOffered("no SIZE"), exchange: [] };
  assert.deepEqual(resultLines(absent), [
    "not offered RFC 5321 3.3        smtp.x                         a title [no SIZE]",
  ]);
  assert.equal(
    summaryLine([passed, failed, absent, { ...failed, rule: RULE }]),
    "4 rules: 1 pass, 2 fail (1 required), 1 not offered, 0 skipped",
  );
});

Deno.test("testMessage is marked, dot-stuffed on the wire and counted in octets as POP3 must", () => {
  const message = testMessage({
    token: "chk1",
    purpose: "p",
    from: "a@b",
    to: "c@d",
    date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    body: [".x", "."],
  });
  assert.equal(markOf(message.header), "chk1 p");
  assert.equal(markOf(["Subject: x"]), undefined);
  assert.match(dataWire(message), /\r\nX-Check-Server: chk1 p\r\n\r\n\.\.x\r\n\.\.\r\n\.\r\n$/);
  assert.ok(message.header.includes("Date: Fri, 02 Jan 2026 03:04:05 +0000"));
  const wire = dataWire(message).split("\r\n").slice(0, -2);
  assert.deepEqual(unstuff(wire), messageLines(message));
  assert.equal(octets(["ab", "", "é"]), 4 + 2 + 4);
});

/**
 * The assignment's format check of a typed mail: each kind of
 * "Incorrect format", and what a correct mail yields.
 */

import assert from "node:assert/strict";
import { checkMailFormat, type FormatProblem, isAddress, MAX_SUBJECT } from "../../lib/client/mail_format.ts";

const FROM = "From: stallings@localhost";
const TO = "To: andrew@localhost";
const SUBJECT = "Subject: Network Lab Experiment 7";

Deno.test("checkMailFormat accepts the assignment's example", () => {
  const result = checkMailFormat([FROM, TO, SUBJECT, "You have learned SMTP very well. Keep It Up!!!"], true);
  assert.deepEqual(result, {
    ok: true,
    mail: {
      from: "stallings@localhost",
      to: "andrew@localhost",
      subject: "Network Lab Experiment 7",
      body: ["You have learned SMTP very well. Keep It Up!!!"],
    },
  });
});

Deno.test("checkMailFormat accepts an empty body, an empty subject and a separating blank line", async (t) => {
  await t.step("just the final full stop after Subject", () => {
    const result = checkMailFormat([FROM, TO, SUBJECT], true);
    assert.ok(result.ok);
    assert.deepEqual(result.mail.body, []);
  });
  await t.step("empty subject", () => {
    const result = checkMailFormat([FROM, TO, "Subject:"], true);
    assert.ok(result.ok);
    assert.equal(result.mail.subject, "");
  });
  await t.step("one blank line after Subject separates, later ones are body", () => {
    const result = checkMailFormat([FROM, TO, SUBJECT, "", "", "text", ""], true);
    assert.ok(result.ok);
    assert.deepEqual(result.mail.body, ["", "text", ""]);
  });
  await t.step("field names in any case, spaces around the value", () => {
    const result = checkMailFormat(["FROM:a@b", "to:   c@d.example  ", "subject: s"], true);
    assert.ok(result.ok);
    assert.deepEqual([result.mail.from, result.mail.to, result.mail.subject], ["a@b", "c@d.example", "s"]);
  });
  await t.step(`a subject of exactly ${MAX_SUBJECT} characters, counted as characters not bytes`, () => {
    assert.ok(checkMailFormat([FROM, TO, `Subject: ${"é".repeat(MAX_SUBJECT)}`], true).ok);
  });
});

const INCORRECT: { name: string; lines: string[]; terminated?: boolean; problem: FormatProblem }[] = [
  { name: "nothing typed", lines: [], problem: "missing-from" },
  { name: "From missing", lines: [TO, SUBJECT, "body"], problem: "missing-from" },
  { name: "To missing", lines: [FROM, SUBJECT, "body"], problem: "missing-to" },
  { name: "Subject missing", lines: [FROM, TO, "body"], problem: "missing-subject" },
  { name: "Subject missing, body looks like a field", lines: [FROM, TO, "Note: hi"], problem: "missing-subject" },
  { name: "To before From", lines: [TO, FROM, SUBJECT], problem: "wrong-order" },
  { name: "Subject before To", lines: [FROM, SUBJECT, TO], problem: "wrong-order" },
  { name: "blank line before the fields", lines: ["", FROM, TO, SUBJECT], problem: "missing-from" },
  { name: "From without @", lines: ["From: stallings", TO, SUBJECT], problem: "bad-from" },
  { name: "From with empty user", lines: ["From: @localhost", TO, SUBJECT], problem: "bad-from" },
  { name: "From with empty domain", lines: ["From: stallings@", TO, SUBJECT], problem: "bad-from" },
  { name: "From with a display name", lines: ["From: W. Stallings <s@localhost>", TO, SUBJECT], problem: "bad-from" },
  { name: "From empty", lines: ["From:", TO, SUBJECT], problem: "bad-from" },
  { name: "To without @", lines: [FROM, "To: andrew", SUBJECT], problem: "bad-to" },
  { name: "To with two @", lines: [FROM, "To: a@b@c", SUBJECT], problem: "bad-to" },
  {
    name: "To with a space in the domain",
    lines: [FROM, "To: andrew@local host", SUBJECT],
    problem: "several-recipients",
  },
  { name: "two addresses with a comma", lines: [FROM, "To: a@x, b@x", SUBJECT], problem: "several-recipients" },
  { name: "two addresses with a space", lines: [FROM, "To: a@x b@x", SUBJECT], problem: "several-recipients" },
  {
    name: `subject over ${MAX_SUBJECT} characters`,
    lines: [FROM, TO, `Subject: ${"x".repeat(MAX_SUBJECT + 1)}`],
    problem: "subject-too-long",
  },
  { name: "no final full stop", lines: [FROM, TO, SUBJECT, "body"], terminated: false, problem: "unterminated" },
];

Deno.test("checkMailFormat names each kind of Incorrect format", async (t) => {
  for (const c of INCORRECT) {
    await t.step(c.name, () => {
      assert.deepEqual(checkMailFormat(c.lines, c.terminated ?? true), { ok: false, problem: c.problem });
    });
  }
});

Deno.test("isAddress takes X@Y with a dot-atom user and a host name", () => {
  const good = ["andrew@localhost", "first.last@mail.example.org", "a+tag@x-y.z", "u@[127.0.0.1]", "o'neil@a1.b"];
  const bad = ["", "a", "@b", "a@", "a..b@c", ".a@b", "a@-b", "a@b-", "a@b..c", "a b@c", '"q"@b', "a@b,c", "ä@b"];
  for (const address of good) assert.ok(isAddress(address), address);
  for (const address of bad) assert.ok(!isAddress(address), address);
});

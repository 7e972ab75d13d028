/**
 * The two written forms of a trace record, and the --trace flags.
 */

import assert from "node:assert/strict";
import { UsageError } from "../../lib/cli.ts";
import { challengeText } from "../../lib/trace/annotation.ts";
import { parseTraceFlags } from "../../lib/trace/flags.ts";
import { formatJson, formatRecord, formatText, type TraceRecord } from "../../lib/trace/record.ts";

const RECORD: TraceRecord = {
  time: new Date(Date.UTC(2026, 10, 27, 9, 45, 57, 123)),
  protocol: "smtp",
  session: 7,
  direction: "C",
  line: "MAIL FROM:<stallings@localhost>",
  note: "RFC 5321 4.1.1.2 MAIL: starts a mail transaction, giving the sender's address",
};

Deno.test("formatText writes time of day, session, direction, line and note in a column", () => {
  assert.equal(
    formatText(RECORD),
    "09:45:57.123 smtp/7 C: MAIL FROM:<stallings@localhost>          " +
      "# RFC 5321 4.1.1.2 MAIL: starts a mail transaction, giving the sender's address",
  );
  assert.equal(
    formatText({ ...RECORD, direction: "-", line: "state mail", note: "n" }).slice(0, 36),
    "09:45:57.123 smtp/7 -- state mail   ",
  );
  const long = formatText({ ...RECORD, direction: "S", line: "x".repeat(80), note: "n" });
  assert.ok(long.endsWith(`S: ${"x".repeat(80)}  # n`), long);
});

Deno.test("formatJson writes the same fields as one JSON object", () => {
  const json = formatJson(RECORD);
  assert.equal(
    json,
    '{"time":"2026-11-27T09:45:57.123Z","protocol":"smtp","session":7,"direction":"C",' +
      '"line":"MAIL FROM:<stallings@localhost>","note":"RFC 5321 4.1.1.2 MAIL: starts a mail transaction, ' +
      "giving the sender's address\"}",
  );
  assert.equal(formatRecord(RECORD, "json"), json);
  assert.equal(formatRecord(RECORD, "text"), formatText(RECORD));
});

Deno.test("both forms escape control and format characters a client sent", () => {
  const hostile = { ...RECORD, line: "EHLO a\r\nS: 250 fake\u001b[2J\u202e" };
  const text = formatText(hostile);
  assert.ok(text.includes("EHLO a\\u000d\\u000aS: 250 fake\\u001b[2J\\u202e"), text);
  for (const raw of ["\r", "\n", "\u001b", "\u202e"]) assert.ok(!text.includes(raw), JSON.stringify(raw));
  const json = JSON.parse(formatJson(hostile));
  assert.equal(json.line, "EHLO a\\u000d\\u000aS: 250 fake\\u001b[2J\\u202e");
});

Deno.test("challengeText says what a SASL challenge reads when it is printable", () => {
  assert.equal(challengeText("VXNlcm5hbWU6"), ' (it reads "Username:")');
  assert.equal(challengeText("UGFzc3dvcmQ6 "), ' (it reads "Password:")');
  assert.equal(challengeText(""), "");
  assert.equal(challengeText("not base64!"), "");
  assert.equal(challengeText(btoa("\u0000\u0001")), "");
});

Deno.test("parseTraceFlags turns --trace and --trace-format into a format, or refuses them", () => {
  const cases: [Record<string, unknown>, string | undefined | typeof UsageError][] = [
    [{ trace: false }, undefined],
    [{ trace: true }, "text"],
    [{ trace: true, "trace-format": "text" }, "text"],
    [{ trace: true, "trace-format": "json" }, "json"],
    [{ trace: true, "trace-format": "xml" }, UsageError],
    [{ trace: false, "trace-format": "json" }, UsageError],
  ];
  for (const [values, expected] of cases) {
    if (expected === UsageError) assert.throws(() => parseTraceFlags(values), UsageError, JSON.stringify(values));
    else assert.equal(parseTraceFlags(values), expected, JSON.stringify(values));
  }
});

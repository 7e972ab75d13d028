/** The From field read as sent: an encoded word never hides or replaces the address. */

import assert from "node:assert/strict";
import { formatSender, parseSender } from "../../lib/client/sender.ts";

Deno.test("parseSender takes the address from the field as sent and decodes only the name", () => {
  const cases: [string, string, string][] = [
    ["stallings@localhost", "", "stallings@localhost"],
    ["=?UTF-8?B?SsO8cmdlbg==?= <j@example.org>", "Jürgen", "j@example.org"],
    ['"Doe, John" <j@x.org>', "Doe, John", "j@x.org"],
    ["=?utf-8?q?Boss=0D=0A=1B[2J?= <boss@x.org>", "Boss\r\n\x1b[2J", "boss@x.org"],
    ["=?utf-8?q?Boss_<evil@y.org>?= <boss@x.org>", "Boss <evil@y.org>", "boss@x.org"],
    ["=?utf-8?q?Boss?= <>", "Boss", ""],
    ["Team: one@x.org, two@x.org;", "", "one@x.org"],
    ["boss@x.org (The Boss)", "", "boss@x.org"],
  ];
  for (const [value, name, address] of cases) assert.deepEqual(parseSender(value), { name, address }, value);
});

Deno.test("formatSender shows the name and the address, or the bare address", () => {
  assert.equal(formatSender({ name: "Jürgen", address: "j@example.org" }), "Jürgen <j@example.org>");
  assert.equal(formatSender({ name: "", address: "a@b" }), "a@b");
});

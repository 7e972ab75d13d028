/** The From: header parser and own-address check behind the authenticated sender rule. */

import assert from "node:assert/strict";
import { formatMailbox } from "../../lib/smtp/address.ts";
import { DISPLAY_NAME_SHOWS_ADDRESS, fromHeaderAddress, isOwnAddress } from "../../lib/smtp/sender_policy.ts";

const chunks = (text: string, size = 7) => {
  const bytes = new TextEncoder().encode(text);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
};

Deno.test("fromHeaderAddress finds the one mailbox of From:", () => {
  const cases: [string, string][] = [
    ["From: a@b.test\r\n\r\nbody\r\n", "a@b.test"],
    ["Subject: x\r\nFROM:  Name <a@b.test>  \r\n\r\n", "a@b.test"],
    ['From: "Doe, J." <a@b.test>\r\n\r\n', "a@b.test"],
    ['From: "Doe, J. <x@y>" <a@b.test>\r\n\r\n', DISPLAY_NAME_SHOWS_ADDRESS],
    ["From: a@b.test (Doe (J.))\r\n\r\n", "a@b.test"],
    ["From: =?utf-8?q?J=C3=B6ran?= <j\u00f6ran@b.test>\r\n\r\n", "j\u00f6ran@b.test"],
    ["From: Name\r\n\t<a@b.test>\r\n\r\n", "a@b.test"],
    ["From: a@b.test\r\n", "a@b.test"],
    ["\r\nFrom: a@b.test\r\n", "no From: field"],
    ["To: a@b.test\r\n\r\n", "no From: field"],
    ["From: a@b.test\r\nfrom: c@d.test\r\n\r\n", "more than one From: field"],
    ["From: a@b.test, c@d.test\r\n\r\n", "more than one address in From:"],
    ["From: <a@b.test>, Name <c@d.test>\r\n\r\n", "more than one address in From:"],
    ["From: undisclosed:;\r\n\r\n", "address must be of the form local@domain"],
    ["From: <a@>\r\n\r\n", "invalid domain"],
    ["From: <c@d.test> (c) <a@b.test>\r\n\r\n", DISPLAY_NAME_SHOWS_ADDRESS],
    ["From: c@d.test <a@b.test>\r\n\r\n", DISPLAY_NAME_SHOWS_ADDRESS],
    ['From: "c@d.test" <a@b.test>\r\n\r\n', DISPLAY_NAME_SHOWS_ADDRESS],
    ["From: =?utf-8?q?c=40d.test?= <a@b.test>\r\n\r\n", DISPLAY_NAME_SHOWS_ADDRESS],
    ["From: =?UTF-8?Q?J=C3=B6ran_=3Cx=40y=3E?= <a@b.test>\r\n\r\n", DISPLAY_NAME_SHOWS_ADDRESS],
    ["From: =?utf-8?b?Y0BkLnRlc3Q=?= <a@b.test>\r\n\r\n", DISPLAY_NAME_SHOWS_ADDRESS],
    ["From: A@B.test <a@b.test>\r\n\r\n", "a@b.test"],
    ["From: =?utf-8?b?!!?= <a@b.test>\r\n\r\n", "a@b.test"],
    ["From: Dr. J. Smith <a@b.test>\r\n\r\n", "a@b.test"],
    ['From: "unclosed <a@b.test>\r\n\r\n', "invalid display name in From:"],
  ];
  for (const [message, expected] of cases) {
    for (const size of [1, 5, 1000]) {
      const got = fromHeaderAddress(chunks(message, size));
      assert.equal(
        typeof got === "string" ? got : formatMailbox(got),
        expected,
        `${JSON.stringify(message)} / ${size}`,
      );
    }
  }
});

Deno.test("isOwnAddress wants the user's name at a local domain", () => {
  const local = (d: string) => d.toLowerCase() === "localhost";
  const box = (local: string, domain: string) => ({ local, domain, utf8: false });
  assert.equal(isOwnAddress("Stallings", box("STALLINGS", "LocalHost"), local), true);
  assert.equal(isOwnAddress("Stallings", box("andrew", "localhost"), local), false);
  assert.equal(isOwnAddress("Stallings", box("stallings", "example.com"), local), false);
  assert.equal(isOwnAddress("Stallings", box("stallings", ""), local), false);
  assert.equal(isOwnAddress("Stallings", null, local), false);
});

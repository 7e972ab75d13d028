/**
 * Pieces of the trace and log lines: the client's address as an RFC 5321
 * address literal, and envelope addresses written back with their quotes.
 */

import assert from "node:assert/strict";
import { formatMailbox, parseMailbox } from "../../lib/smtp/address.ts";
import { formatLog } from "../../lib/smtp/driver.ts";
import { addressLiteral } from "../../lib/smtp/trace.ts";

Deno.test("addressLiteral writes IPv4, IPv6 (zone dropped) and IPv4-mapped addresses as RFC 5321 §4.1.3 literals", () => {
  assert.equal(addressLiteral("127.0.0.1"), "[127.0.0.1]");
  assert.equal(addressLiteral("::1"), "[IPv6:::1]");
  assert.equal(addressLiteral("2001:db8::25"), "[IPv6:2001:db8::25]");
  assert.equal(addressLiteral("::ffff:192.0.2.7"), "[192.0.2.7]");
  assert.equal(addressLiteral("fe80::1%eth0"), "[IPv6:fe80::1]");
});

Deno.test("formatMailbox quotes a local part that is not a dot-string, as it came", () => {
  const cases: [string, string][] = [
    ["andrew@localhost", "andrew@localhost"],
    ['"andrew"@localhost', "andrew@localhost"],
    ['"x> size=0 outcome=ok"@b.test', '"x> size=0 outcome=ok"@b.test'],
    ['"a\\"b\\\\c"@b.test', '"a\\"b\\\\c"@b.test'],
    ['"two..dots"@b.test', '"two..dots"@b.test'],
    ["Postmaster", "Postmaster"],
  ];
  for (const [path, formatted] of cases) {
    const mailbox = parseMailbox(path);
    assert.ok(typeof mailbox !== "string", `${path}: ${mailbox}`);
    assert.equal(formatMailbox(mailbox), formatted);
  }
});

Deno.test("formatLog quotes a sender that could pass for fields of ours, so grep outcome= finds only ours", () => {
  const sender = parseMailbox('"x> size=0 outcome=ok"@b.test');
  assert.ok(typeof sender !== "string");
  const line = formatLog({
    id: "ID1",
    client: "127.0.0.1",
    sender: formatMailbox(sender),
    recipients: ["andrew@localhost"],
    size: 4,
    outcome: "stored",
  });
  assert.match(
    line,
    /^\S+ smtp id=ID1 client=127\.0\.0\.1 from="<\\"x> size\\u003d0 outcome\\u003dok\\"@b\.test>" to=<andrew@localhost> size=4 outcome=stored$/,
  );
  assert.equal(line.match(/outcome=/g)?.length, 1);
});

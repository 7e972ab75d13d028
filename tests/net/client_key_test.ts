import assert from "node:assert/strict";
import { clientKey, plainAddress } from "../../lib/net/client_key.ts";
import { isTrustedLoopback, type TlsConfig } from "../../lib/tls_setup.ts";

Deno.test("clientKey counts IPv4 by address and IPv6 by /64", async (t) => {
  const cases: [string, string][] = [
    ["192.0.2.1", "192.0.2.1"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::FFFF:127.0.0.1", "127.0.0.1"],
    ["::1", "0:0:0:0::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["2001:0db8:0001:0002:0003:0004:0005:0006", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::", "2001:db8:1:2::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["2001:db8::1::2", "2001:db8::1::2"],
    ["2001:db8:1:2:3:4:5", "2001:db8:1:2:3:4:5"],
    ["unknown", "unknown"],
  ];
  for (const [address, key] of cases) await t.step(address, () => assert.equal(clientKey(address), key));
});

Deno.test("plainAddress unmaps IPv4 and drops an IPv6 zone; isTrustedLoopback takes loopback in every form", () => {
  assert.equal(plainAddress("::ffff:127.0.0.2"), "127.0.0.2");
  assert.equal(plainAddress("fe80::1%eth0"), "fe80::1");
  assert.equal(plainAddress("192.0.2.1"), "192.0.2.1");
  const trusted: TlsConfig = { allowPlaintextLogin: false, untrustedLoopback: false };
  for (const address of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "::1%lo"]) {
    assert.ok(isTrustedLoopback(address, trusted), address);
    assert.ok(!isTrustedLoopback(address, { ...trusted, untrustedLoopback: true }), address);
  }
  for (const address of ["192.0.2.1", "::ffff:192.0.2.1", "::2", "128.0.0.1"]) {
    assert.ok(!isTrustedLoopback(address, trusted));
  }
});

/**
 * popserver over TLS and its logins with real clients: Python poplib's
 * stls(), curl with --ssl-reqd and pop3s://, the STLS command-injection
 * attack, AUTH PLAIN, and the refusal of plaintext logins from a client not
 * on loopback (--untrusted-loopback).
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { encode } from "../helpers/bytes.ts";
import { LineClient, ReadTimeout } from "../helpers/line_client.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages, withMailServers } from "../helpers/pop3_server.ts";
import { runWithInput } from "../helpers/server_process.ts";
import { implicitTlsPort, tlsFlags, withTestCert } from "../helpers/tls.ts";

const MESSAGE = "From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: sealed\r\n\r\nover TLS\r\n";
const REFUSED = "-ERR [AUTH] Plaintext login refused without TLS (use STLS)";

const POPLIB_STLS = `
import json, poplib, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
p = poplib.POP3("127.0.0.1", port, timeout=5)
before = sorted(p.capa())
p.stls(context=ssl.create_default_context(cafile=cafile))
after = sorted(p.capa())
p.user("Andrew")
p.pass_("@dministr@tor")
lines = p.retr(1)[1]
print(json.dumps({"before": before, "after": after, "message": "\\r\\n".join(l.decode() for l in lines) + "\\r\\n", "quit": p.quit().decode()}))
`;

Deno.test("popserver upgrades Python poplib with STLS and serves it under TLS", async () => {
  await withTestCert(async (cert) => {
    await withMailServers([...tlsFlags(cert), "--untrusted-loopback"], async ({ smtp, pop3 }) => {
      await sendMessages(smtp.port, [MESSAGE]);
      const run = await runWithInput("python3", ["-c", POPLIB_STLS, String(pop3.port), cert.certFile], encode(""));
      assert.equal(run.status.code, 0, run.stderr);
      const out = JSON.parse(run.stdout);
      assert.ok(out.before.includes("STLS") && !out.before.includes("USER"), `before: ${out.before}`);
      assert.ok(!out.after.includes("STLS") && out.after.includes("USER") && out.after.includes("SASL"), out.after);
      assert.match(out.message, /^From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: sealed\r\nReceived: /);
      assert.match(out.quit, /^\+OK /);
    });
  });
});

Deno.test("popserver serves curl over STLS (--ssl-reqd) and implicit TLS (pop3s://)", async () => {
  await withTestCert(async (cert) => {
    await withMailServers([...tlsFlags(cert, true), "--untrusted-loopback"], async ({ smtp, pop3 }) => {
      await sendMessages(smtp.port, [MESSAGE]);
      const curl = (url: string, ...extra: string[]) =>
        runWithInput("curl", [
          "--silent",
          "--show-error",
          "--max-time",
          "10",
          "--cacert",
          cert.certFile,
          "--user",
          "Andrew:@dministr@tor",
          ...extra,
          url,
        ], encode(""));
      const listed = await curl(`pop3://127.0.0.1:${pop3.port}/`, "--ssl-reqd");
      assert.equal(listed.status.code, 0, listed.stderr);
      assert.match(listed.stdout, /^1 \d+\r\n$/);
      const fetched = await curl(`pop3s://127.0.0.1:${implicitTlsPort(pop3)}/1`);
      assert.equal(fetched.status.code, 0, fetched.stderr);
      assert.match(
        fetched.stdout,
        /^From: stallings@localhost\r\n.*Subject: sealed\r\nReceived: .+\r\n\r\nover TLS\r\n$/s,
      );
    });
  });
});

Deno.test("popserver drops commands pipelined behind STLS", async () => {
  await withTestCert(async (cert) => {
    await withMailServers(tlsFlags(cert), async ({ pop3 }) => {
      const client = await LineClient.connect(pop3.port);
      try {
        assert.match((await client.readLine())!, /^\+OK /);
        await client.write("STLS\r\nCAPA\r\n");
        assert.equal(await client.readLine(), "+OK Begin TLS negotiation");
        await client.startTls([cert.pem], "127.0.0.1", 5000);
        await assert.rejects(client.readLine(500), ReadTimeout, "no reply inside TLS to the injected CAPA");
        await client.write("NOOP\r\n");
        assert.equal(await client.readLine(), "-ERR NOOP is not allowed before login");
      } finally {
        await client.close();
      }
    });
  });
});

Deno.test("popserver refuses plaintext logins from a client not on loopback", async () => {
  await withTestCert(async (cert) => {
    await withMailServers([...tlsFlags(cert), "--untrusted-loopback"], async ({ pop3 }) => {
      const client = await Pop3Client.open(pop3.port);
      try {
        assert.equal(await client.command("USER Andrew"), REFUSED);
        assert.equal(await client.command("PASS @dministr@tor"), REFUSED);
        assert.equal(await client.command(`AUTH PLAIN ${btoa("\0Andrew\0@dministr@tor")}`), REFUSED);
        await client.quit();
      } finally {
        await client.close();
      }
    });
    await withMailServers(["--untrusted-loopback", "--allow-plaintext-login"], async ({ pop3 }) => {
      const client = await Pop3Client.open(pop3.port);
      try {
        await client.command(`AUTH PLAIN ${btoa("\0Andrew\0@dministr@tor")}`, "+OK");
        await client.quit();
      } finally {
        await client.close();
      }
    });
  });
});

Deno.test("popserver logs in with AUTH PLAIN, with and without an initial response", async () => {
  await withMailServers([], async ({ pop3 }) => {
    const client = await Pop3Client.open(pop3.port);
    try {
      assert.equal(
        await client.command(`AUTH PLAIN ${btoa("\0Andrew\0wrong")}`),
        "-ERR [AUTH] Invalid user name or password",
      );
      assert.equal(await client.command("AUTH PLAIN"), "+ ");
      assert.match(await client.command(btoa("\0andrew\0@dministr@tor")), /^\+OK Andrew's maildrop has 0 messages/);
      await client.quit();
    } finally {
      await client.close();
    }
  });
});

const POPLIB_BULK = `
import hashlib, json, poplib, ssl, sys
port, implicit_port, cafile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
context = ssl.create_default_context(cafile=cafile)
result = []
for implicit in (False, True):
    if implicit:
        p = poplib.POP3_SSL("127.0.0.1", implicit_port, timeout=10, context=context)
    else:
        p = poplib.POP3("127.0.0.1", port, timeout=10)
        p.stls(context=context)
    p.user("Andrew")
    p.pass_("@dministr@tor")
    sizes = [int(line.split()[1]) for line in p.list()[1]]
    got = []
    for n in range(1, len(sizes) + 1):
        lines = p.retr(n)[1]
        body = b"\\r\\n".join(lines) + b"\\r\\n"
        got.append([len(body), sizes[n - 1], hashlib.sha256(body.split(b"\\r\\n\\r\\n", 1)[1]).hexdigest()])
    p.quit()
    result.append(got)
print(json.dumps(result))
`;

Deno.test("popserver streams a large message and many small ones intact over STLS and implicit TLS", async () => {
  const line = "0123456789abcdef".repeat(4) + "\r\n";
  const big = `From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: big\r\n\r\n${line.repeat(50_000)}`;
  const small = (n: number) =>
    `From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: small ${n}\r\n\r\n.dot ${n}\r\n${line}`;
  const messages = [big, ...Array.from({ length: 40 }, (_, n) => small(n))];
  const bodies = messages.map((m) => createHash("sha256").update(m.slice(m.indexOf("\r\n\r\n") + 4)).digest("hex"));
  await withTestCert(async (cert) => {
    await withMailServers([...tlsFlags(cert, true), "--untrusted-loopback"], async ({ smtp, pop3 }) => {
      await sendMessages(smtp.port, messages);
      const run = await runWithInput(
        "python3",
        ["-c", POPLIB_BULK, String(pop3.port), String(implicitTlsPort(pop3)), cert.certFile],
        encode(""),
      );
      assert.equal(run.status.code, 0, run.stderr);
      for (const got of JSON.parse(run.stdout) as [number, number, string][][]) {
        assert.equal(got.length, messages.length);
        got.forEach(([length, listed, digest], i) => {
          assert.equal(length, listed, `message ${i + 1}: octets against LIST`);
          assert.equal(digest, bodies[i], `message ${i + 1}: body`);
        });
      }
    });
  });
});

/**
 * smtpmail over TLS with real clients: Python smtplib's starttls(), curl
 * with --ssl-reqd and smtps://, the STARTTLS command-injection attack, a
 * handshake that must finish in time, a failed handshake, and 454 when the
 * certificate files become unusable.
 */

import assert from "node:assert/strict";
import { encode } from "../helpers/bytes.ts";
import { delivered, readRecords } from "../helpers/mailbox_file.ts";
import { ReadTimeout } from "../helpers/line_client.ts";
import { runWithInput, waitFor } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { withSmtp } from "../helpers/smtp_server.ts";
import { implicitTlsPort, type TestCert, tlsFlags, withTestCert } from "../helpers/tls.ts";

/** How long a STARTTLS handshake may take before the test calls it hung (see DENO.md). */
const HANDSHAKE_DEADLINE_MS = 5000;

const PYTHON_STARTTLS = `
import json, smtplib, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile)
with smtplib.SMTP("127.0.0.1", port, local_hostname="python.test", timeout=${HANDSHAKE_DEADLINE_MS / 1000}) as s:
    before = s.ehlo()[1].decode().split("\\n")
    s.starttls(context=ctx)
    after = s.ehlo()[1].decode().split("\\n")
    s.login("Stallings", "network$security")
    refused = s.sendmail("stallings@localhost", ["andrew@localhost"], sys.stdin.buffer.read())
    print(json.dumps({"before": before, "after": after, "refused": refused, "cipher": s.sock.version()}))
`;

const MAIL = "From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: over TLS\r\n\r\nsecret\r\n";

Deno.test("smtpmail upgrades Python smtplib with STARTTLS, then takes AUTH and mail", async () => {
  await withTestCert(async (cert) => {
    await withSmtp([...tlsFlags(cert), "--untrusted-loopback"], async (server) => {
      const run = await runWithInput(
        "python3",
        ["-c", PYTHON_STARTTLS, String(server.port), cert.certFile],
        encode(MAIL),
      );
      assert.equal(run.status.code, 0, run.stderr);
      const out = JSON.parse(run.stdout);
      assert.ok(out.before.includes("STARTTLS"), `before TLS: ${out.before}`);
      assert.ok(!out.before.some((l: string) => l.startsWith("AUTH")), `no AUTH before TLS: ${out.before}`);
      assert.ok(!out.after.includes("STARTTLS"), `after TLS: ${out.after}`);
      assert.ok(out.after.includes("AUTH PLAIN LOGIN"), `after TLS: ${out.after}`);
      assert.deepEqual(out.refused, {});
      const { records } = await readRecords(server.root, "Andrew");
      assert.equal(records.length, 1);
      assert.equal(delivered(records[0]).trace.protocol, "ESMTPSA");
    });
  });
});

/** Runs curl to send MAIL as Stallings over `url`, trusting `cert`. */
function curlSend(url: string, cert: TestCert, extra: string[] = []): ReturnType<typeof runWithInput> {
  return runWithInput("curl", [
    "--silent",
    "--show-error",
    "--max-time",
    "10",
    "--cacert",
    cert.certFile,
    "--user",
    "Stallings:network$security",
    "--mail-from",
    "stallings@localhost",
    "--mail-rcpt",
    "andrew@localhost",
    "--upload-file",
    "-",
    ...extra,
    url,
  ], encode(MAIL));
}

Deno.test("smtpmail serves curl over STARTTLS (--ssl-reqd) and implicit TLS (smtps://)", async () => {
  await withTestCert(async (cert) => {
    await withSmtp([...tlsFlags(cert, true), "--untrusted-loopback"], async (server) => {
      const starttls = await curlSend(`smtp://127.0.0.1:${server.port}`, cert, ["--ssl-reqd"]);
      assert.equal(starttls.status.code, 0, starttls.stderr);
      const implicit = await curlSend(`smtps://127.0.0.1:${implicitTlsPort(server)}`, cert);
      assert.equal(implicit.status.code, 0, implicit.stderr);
      const { records } = await readRecords(server.root, "Andrew");
      assert.deepEqual(records.map((r) => delivered(r).trace.protocol), ["ESMTPSA", "ESMTPSA"]);
    });
  });
});

Deno.test("smtpmail drops commands pipelined behind STARTTLS and finishes the handshake in time", async () => {
  await withTestCert(async (cert) => {
    await withSmtp(tlsFlags(cert), async (server) => {
      const client = await SmtpClient.open(server.port);
      try {
        // The injection: a command in the same plaintext packet as STARTTLS.
        await client.write("STARTTLS\r\nRSET\r\n");
        assert.equal((await client.reply()).last, "220 2.0.0 Ready to start TLS");
        await client.conn.startTls([cert.pem], "127.0.0.1", HANDSHAKE_DEADLINE_MS);
        await assert.rejects(client.conn.readLine(500), ReadTimeout, "no reply inside TLS to the injected RSET");
        const ehlo = await client.command("EHLO client.test", 250);
        assert.ok(ehlo.lines.includes("250-AUTH PLAIN LOGIN"), ehlo.lines.join("|"));
        assert.ok(!ehlo.lines.some((l) => l.includes("STARTTLS")), ehlo.lines.join("|"));
        await client.quit();
      } finally {
        await client.close();
      }
    });
  });
});

Deno.test("smtpmail completes implicit-TLS handshakes sent at once on connect, every time", async () => {
  await withTestCert(async (cert) => {
    await withSmtp(tlsFlags(cert, true), async (server) => {
      const port = implicitTlsPort(server);
      // The client's hello arrives with the connection; a server that reads it as plaintext first hangs here.
      for (let i = 0; i < 20; i++) {
        const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [cert.pem] });
        try {
          const greeting = new Uint8Array(200);
          const read = conn.read(greeting);
          let timer: ReturnType<typeof setTimeout> | undefined;
          const late = new Promise<"late">((resolve) =>
            timer = setTimeout(() => resolve("late"), HANDSHAKE_DEADLINE_MS)
          );
          const n = await Promise.race([read, late]).finally(() => clearTimeout(timer));
          assert.notEqual(n, "late", `connection ${i + 1}: no greeting within ${HANDSHAKE_DEADLINE_MS} ms`);
          assert.match(new TextDecoder().decode(greeting.subarray(0, n as number)), /^220 /);
          conn.close();
          await read.catch(() => null);
        } finally {
          try {
            conn.close();
          } catch {
            // Closed above.
          }
        }
      }
    });
  });
});

Deno.test("smtpmail logs a failed handshake and closes the connection", async () => {
  await withTestCert(async (cert) => {
    await withSmtp(tlsFlags(cert), async (server) => {
      const client = await SmtpClient.open(server.port);
      try {
        await client.command("STARTTLS", 220);
        await client.write("this is not a TLS ClientHello\r\n".repeat(4));
        await client.conn.readToEnd(HANDSHAKE_DEADLINE_MS);
      } finally {
        await client.close();
      }
      await waitFor("the handshake failure in the log", () => /TLS handshake failed: /.test(server.stderrText()));
    });
  });
});

Deno.test("smtpmail answers STARTTLS with 454 when the certificate files become unusable", async () => {
  await withTestCert(async (cert) => {
    await withSmtp(tlsFlags(cert), async (server) => {
      await Deno.writeTextFile(cert.certFile, "not a certificate any more\n");
      const client = await SmtpClient.open(server.port);
      try {
        assert.equal((await client.command("STARTTLS")).last, "454 4.7.0 TLS not available due to temporary reason");
        assert.equal((await client.command("NOOP")).last, "250 2.0.0 OK", "the session goes on in plaintext");
        await client.quit();
      } finally {
        await client.close();
      }
      const logged = /smtp TLS unavailable: Cannot use .*cert\.pem: not a PEM certificate/;
      await waitFor("the reason in the log", () => logged.test(server.stderrText()));
    });
  });
});

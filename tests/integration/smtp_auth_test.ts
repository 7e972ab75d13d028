/**
 * smtpmail's AUTH with real clients: Python smtplib's PLAIN and LOGIN,
 * wrong passwords, the own-address rule for MAIL FROM and From:, and 538
 * for a client that is not on loopback (--untrusted-loopback) until it
 * starts TLS or --allow-plaintext-login allows it.
 */

import assert from "node:assert/strict";
import { encode } from "../helpers/bytes.ts";
import { readRecords } from "../helpers/mailbox_file.ts";
import { runWithInput } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { withSmtp } from "../helpers/smtp_server.ts";
import { tlsFlags, withTestCert } from "../helpers/tls.ts";

/** Failed logins are answered after 1 ms, not 1 s. */
const FAST = ["--failed-login-delay", "1"];

const PYTHON_AUTH = `
import json, smtplib, sys
port, mechanism, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
    s.ehlo()
    s.user, s.password = user, password
    method = {"PLAIN": s.auth_plain, "LOGIN": s.auth_login}[mechanism]
    try:
        code, text = s.auth(mechanism, method, initial_response_ok=(mechanism == "PLAIN"))
    except smtplib.SMTPAuthenticationError as e:
        code, text = e.smtp_code, e.smtp_error
    print(json.dumps({"code": code, "text": text.decode()}))
`;

async function pythonAuth(port: number, mechanism: string, password: string): Promise<{ code: number; text: string }> {
  const run = await runWithInput(
    "python3",
    ["-c", PYTHON_AUTH, String(port), mechanism, "Stallings", password],
    encode(""),
  );
  assert.equal(run.status.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

Deno.test("smtpmail authenticates Python smtplib with PLAIN and LOGIN, and refuses a wrong password", async () => {
  await withSmtp(FAST, async (server) => {
    for (const mechanism of ["PLAIN", "LOGIN"]) {
      assert.deepEqual(await pythonAuth(server.port, mechanism, "network$security"), {
        code: 235,
        text: "2.7.0 Authentication succeeded",
      }, mechanism);
      assert.deepEqual(await pythonAuth(server.port, mechanism, "wrong"), {
        code: 535,
        text: "5.7.8 Authentication credentials invalid",
      }, mechanism);
    }
    assert.doesNotMatch(server.stderrText(), /network\$security|wrong/, "passwords are not logged");
  });
});

Deno.test("smtpmail lets an authenticated user send only as their own address", async () => {
  await withSmtp(FAST, async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      await client.command(`AUTH PLAIN ${btoa("\0stallings\0network$security")}`, 235);
      const sender = await client.command("MAIL FROM:<andrew@localhost>", 550);
      assert.equal(sender.last, "550 5.7.1 Sender must be your own address (authenticated as Stallings)");
      await client.command("MAIL FROM:<Stallings@localhost>", 250);
      await client.command("RCPT TO:<andrew@localhost>", 250);
      await client.command("DATA", 354);
      await client.write("From: Andrew <andrew@localhost>\r\nSubject: forged\r\n\r\nhi\r\n.\r\n");
      const header = await client.expect(550);
      assert.equal(header.last, "550 5.7.1 From: header must be your own address (authenticated as Stallings)");
      const sent = await client.send({
        from: "stallings@localhost",
        to: ["andrew@localhost"],
        data: "From: Stallings <stallings@localhost>\r\nSubject: mine\r\n\r\nhi\r\n",
      });
      assert.match(sent.last, /^250 2\.0\.0 OK queued as /);
      await client.quit();
    } finally {
      await client.close();
    }
    const { records } = await readRecords(server.root, "Andrew");
    assert.equal(records.length, 1, "the forged message was not stored");
  });
});

Deno.test("smtpmail wants TLS before AUTH from a client not on loopback", async () => {
  await withTestCert(async (cert) => {
    await withSmtp([...FAST, ...tlsFlags(cert), "--untrusted-loopback"], async (server) => {
      const client = await SmtpClient.connect(server.port);
      try {
        await client.expect(220);
        const ehlo = await client.command("EHLO client.test", 250);
        assert.ok(!ehlo.lines.some((l) => l.includes("AUTH")), ehlo.lines.join("|"));
        const refused = await client.command(`AUTH PLAIN ${btoa("\0Stallings\0network$security")}`);
        assert.equal(refused.last, "538 5.7.11 Encryption required for requested authentication mechanism");
        await client.command("STARTTLS", 220);
        await client.conn.startTls([cert.pem]);
        await client.command("EHLO client.test", 250);
        await client.command(`AUTH PLAIN ${btoa("\0Stallings\0network$security")}`, 235);
        await client.quit();
      } finally {
        await client.close();
      }
    });
  });
});

Deno.test("smtpmail takes AUTH without TLS from a remote client with --allow-plaintext-login", async () => {
  await withSmtp([...FAST, "--untrusted-loopback", "--allow-plaintext-login"], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      await client.command(`AUTH PLAIN ${btoa("\0Stallings\0network$security")}`, 235);
      await client.quit();
    } finally {
      await client.close();
    }
  });
});

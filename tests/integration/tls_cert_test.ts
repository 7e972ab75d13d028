/**
 * `scripts/make_cert.sh`: an EC P-256 certificate for localhost and
 * 127.0.0.1, its key readable by its owner only; and both servers' refusal
 * of a key that group or others may read, at start and when it changes.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { POP3_READY } from "../helpers/pop3_server.ts";
import { makeTempRoot, REPO_ROOT, runToEnd, spawnServer, waitFor } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { SMTP_READY, withSmtp } from "../helpers/smtp_server.ts";
import { tlsFlags, withTestCert } from "../helpers/tls.ts";

async function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `${cmd} ${args.join(" ")}: ${text}`);
  return text;
}

Deno.test("make_cert.sh writes ./tls/cert.pem and a 0600 key.pem for localhost and 127.0.0.1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mail_cert_" });
  try {
    await run("bash", [join(REPO_ROOT, "scripts", "make_cert.sh")], dir);
    const cert = join(dir, "tls", "cert.pem");
    const key = join(dir, "tls", "key.pem");
    assert.equal((await Deno.stat(key)).mode! & 0o777, 0o600);
    const text = await run("openssl", ["x509", "-in", cert, "-noout", "-text"]);
    assert.match(text, /Subject: CN\s*=\s*localhost/);
    assert.match(text, /DNS:localhost, IP Address:127\.0\.0\.1/);
    assert.match(text, /NIST CURVE: P-256/);
    assert.match(await run("openssl", ["pkey", "-in", key, "-noout", "-text"]), /P-256|prime256v1/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const SERVERS = [
  { program: "smtpmail.ts", ready: SMTP_READY },
  { program: "popserver.ts", ready: POP3_READY },
];

for (const { program, ready } of SERVERS) {
  Deno.test(`${program} refuses to start with a TLS key group or others may read, naming the chmod`, async () => {
    await withTestCert(async (cert) => {
      for (const mode of [0o644, 0o640, 0o604]) {
        await Deno.chmod(cert.keyFile, mode);
        const temp = await makeTempRoot();
        try {
          const run = await runToEnd(program, ["0", "--root", temp.root, ...tlsFlags(cert)], temp.dir);
          assert.equal(run.status.code, 2, `exit status; stderr: ${run.stderr}`);
          const lines = run.stderr.split("\n");
          assert.equal(lines.pop(), "", "stderr ends with a line end");
          assert.equal(lines.length, 1, `one line: ${JSON.stringify(run.stderr)}`);
          const octal = mode.toString(8).padStart(4, "0");
          assert.ok(lines[0].startsWith(`Cannot use ${cert.keyFile}: `), lines[0]);
          assert.ok(lines[0].includes(`(mode ${octal}); run chmod 600 ${cert.keyFile}`), lines[0]);
          console.log(`${program}, key mode ${octal}: ${lines[0].replace(/ Usage: .*$/, "")}`);
        } finally {
          await temp.remove();
        }
      }
    });
  });

  Deno.test(`${program} starts with a TLS key of mode 0600`, async () => {
    await withTestCert(async (cert) => {
      assert.equal((await Deno.stat(cert.keyFile)).mode! & 0o777, 0o600);
      const temp = await makeTempRoot();
      try {
        const server = await spawnServer({
          script: program,
          args: ["0", "--root", temp.root, ...tlsFlags(cert)],
          cwd: temp.dir,
          ready,
        });
        await server.stop();
      } finally {
        await temp.remove();
      }
    });
  });
}

Deno.test("smtpmail answers STARTTLS with 454 once its key becomes readable by others, and recovers after chmod 600", async () => {
  await withTestCert(async (cert) => {
    await withSmtp(tlsFlags(cert), async (server) => {
      await Deno.chmod(cert.keyFile, 0o644);
      const client = await SmtpClient.open(server.port);
      try {
        assert.equal((await client.command("STARTTLS")).last, "454 4.7.0 TLS not available due to temporary reason");
        await client.quit();
      } finally {
        await client.close();
      }
      const logged = `smtp TLS unavailable: Cannot use ${cert.keyFile}: a private key open to group or others ` +
        `(mode 0644); run chmod 600 ${cert.keyFile}`;
      await waitFor("the refusal in the log", () => server.stderrText().includes(logged));
      await Deno.chmod(cert.keyFile, 0o600);
      const again = await SmtpClient.open(server.port);
      try {
        assert.equal((await again.command("STARTTLS")).code, 220);
        await again.conn.startTls([cert.pem]);
        await again.command("EHLO client.test", 250);
        await again.quit();
      } finally {
        await again.close();
      }
    });
  });
});

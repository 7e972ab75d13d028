/**
 * `mailclient.ts --ca-file` against servers that want TLS before any login
 * (--untrusted-loopback): the mail goes out over STARTTLS with AUTH and is
 * read over STLS; without the CA file the client fails in one clear line;
 * a bad --ca-file is a usage error.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ANDREW, EXAMPLE, runClientPiped, serverArgs, STALLINGS } from "../helpers/client_process.ts";
import { delivered, readRecords } from "../helpers/mailbox_file.ts";
import { type MailServers, withMailServers } from "../helpers/mail_servers.ts";
import { type TestCert, tlsFlags, withTestCert } from "../helpers/tls.ts";

/** Runs `fn` against both servers with TLS, refusing logins without it. */
function withTlsServers(cert: TestCert, fn: (servers: MailServers) => Promise<void>): Promise<void> {
  const flags = [...tlsFlags(cert), "--untrusted-loopback"];
  return withMailServers(fn, { smtp: flags, pop3: flags });
}

function client(servers: MailServers, extra: string[], lines: readonly string[]) {
  return runClientPiped([...extra, ...serverArgs(servers.smtp.port, servers.pop3.port)], `${lines.join("\n")}\n`);
}

Deno.test("mailclient sends over STARTTLS with AUTH and reads over STLS with --ca-file", async () => {
  await withTestCert(async (cert) => {
    await withTlsServers(cert, async (servers) => {
      const sent = await client(servers, ["--ca-file", cert.certFile], [...STALLINGS, "2", ...EXAMPLE, "3"]);
      assert.equal(sent.stderr, "");
      assert.equal(sent.status.code, 0);
      assert.match(sent.stdout, /\nMail sent successfully\n/);
      const { records } = await readRecords(servers.root, "Andrew");
      assert.equal(delivered(records[0]).trace.protocol, "ESMTPSA");

      const read = await client(servers, ["--ca-file", cert.certFile], [...ANDREW, "1", "1", "q", "3"]);
      assert.equal(read.status.code, 0, read.stdout);
      assert.match(read.stdout, /Subject: {2}Network Lab Experiment 7\n/);
      assert.match(read.stdout, /You have learned SMTP very well\. Keep It Up!!!\n/);
    });
  });
});

Deno.test("mailclient refuses a self-signed certificate without --ca-file, in one line", async () => {
  await withTestCert(async (cert) => {
    await withTlsServers(cert, async (servers) => {
      const run = await client(servers, [], ANDREW);
      assert.equal(run.status.code, 1);
      assert.equal(run.stderr, "");
      assert.match(
        run.stdout,
        /^Username: Password: Cannot start TLS with the POP3 server at 127\.0\.0\.1:\d+: invalid peer certificate: UnknownIssuer \(for a self-signed certificate, give it with --ca-file FILE\)\n$/,
      );
    });
  });
});

Deno.test("mailclient says which --ca-file it cannot use", async () => {
  await withTestCert(async (cert) => {
    const missing = join(cert.dir, "missing.pem");
    const notPem = cert.keyFile;
    for (
      const [file, message] of [[missing, /^Cannot read --ca-file .*missing\.pem: No such file or directory/], [
        notPem,
        /^Cannot use --ca-file .*key\.pem: it holds no PEM certificate\. Usage: /,
      ]] as const
    ) {
      const run = await runClientPiped(["--ca-file", file], "");
      assert.equal(run.status.code, 2);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    }
  });
});

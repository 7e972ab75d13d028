/**
 * Real submission clients against smtpmail over STARTTLS with AUTH: swaks
 * (Debian) and nodemailer (npm), the tools people point at a test server.
 */

import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { decode } from "../helpers/bytes.ts";
import { delivered, readRecords } from "../helpers/mailbox_file.ts";
import { needing, peer } from "../helpers/peers.ts";
import { withSmtp } from "../helpers/smtp_server.ts";
import { tlsFlags, withTestCert } from "../helpers/tls.ts";

/** The text of the only message in Andrew's mailbox, with the trace line's protocol. */
async function onlyMessage(root: string): Promise<{ text: string; protocol: string }> {
  const { records } = await readRecords(root, "Andrew");
  assert.equal(records.length, 1, "one message stored");
  const { message, trace } = delivered(records[0]);
  return { text: decode(message), protocol: trace.protocol };
}

Deno.test(needing(
  [peer("swaks"), peer("libnet-ssleay-perl")],
  "smtpmail takes mail from swaks over STARTTLS with AUTH PLAIN",
  async () => {
    await withTestCert(async (cert) => {
      await withSmtp(tlsFlags(cert), async (server) => {
        const run = await new Deno.Command("swaks", {
          args: [
            ...["--server", `127.0.0.1:${server.port}`, "--tls", "--tls-verify", "--tls-ca-path", cert.certFile],
            ...["--auth", "PLAIN", "--auth-user", "Stallings", "--auth-password", "network$security"],
            ...["--from", "stallings@localhost", "--to", "andrew@localhost", "--header", "Subject: from swaks"],
            ...["--body", "Line one\n.\n..two dots\n"],
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const transcript = decode(run.stdout) + decode(run.stderr);
        assert.equal(run.code, 0, transcript);
        assert.match(transcript, /<~ {2}250 2\.0\.0 OK queued as /);
        const { text, protocol } = await onlyMessage(server.root);
        assert.equal(protocol, "ESMTPSA");
        assert.match(text, /^Subject: from swaks\r$/m);
        assert.match(text, /\r\n\r\nLine one\r\n\.\r\n\.\.two dots\r\n/);
      });
    });
  },
));

Deno.test("smtpmail takes UTF-8 mail with an attachment from nodemailer over STARTTLS with AUTH", async () => {
  await withTestCert(async (cert) => {
    await withSmtp(tlsFlags(cert), async (server) => {
      const transport = nodemailer.createTransport({
        host: "127.0.0.1",
        port: server.port,
        secure: false,
        requireTLS: true,
        tls: { ca: [cert.pem], servername: "localhost" },
        auth: { user: "Stallings", pass: "network$security" },
      });
      try {
        const info = await transport.sendMail({
          from: "stallings@localhost",
          to: "andrew@localhost",
          subject: "Grüße from nodemailer",
          text: "Hällo\n.\n..dots\n",
          attachments: [{ filename: "notes.txt", content: "attached text" }],
        });
        assert.match(info.response, /^250 2\.0\.0 OK queued as /);
        assert.deepEqual(info.accepted, ["andrew@localhost"]);
      } finally {
        transport.close();
      }
      const { text, protocol } = await onlyMessage(server.root);
      assert.equal(protocol, "ESMTPSA");
      assert.match(text, /^Subject: =\?UTF-8\?Q\?Gr=C3=BC=C3=9Fe_from_nodemailer\?=\r$/m);
      assert.match(text, /filename=notes\.txt/);
      assert.match(text, /^From: stallings@localhost\r$/m);
    });
  });
});

/**
 * A real MTA's bounce through smtpmail (issue 18): a private Postfix relays
 * everything through us, logged in with SASL as Stallings. Mail it takes for
 * a user we do not have is refused at RCPT (550 5.1.1), so Postfix's bounce
 * daemon writes a non-delivery report and relays it back to the sender through
 * us, `MAIL FROM:<>` after AUTH, with `From: MAILER-DAEMON@…`: the null
 * reverse-path is always accepted (RFC 5321 §4.5.5, §6.1), and the report
 * must land in Stallings's mailbox rather than be dropped by Postfix for good.
 */

import assert from "node:assert/strict";
import { decode } from "../helpers/bytes.ts";
import { delivered, readRecords } from "../helpers/mailbox_file.ts";
import { needing, type Peer, peer } from "../helpers/peers.ts";
import { passwordOf } from "../helpers/pop3_client.ts";
import { type Postfix, POSTFIX_HOSTNAME, withPostfixRelay } from "../helpers/postfix.ts";
import { sleep, waitFor } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { startSmtp } from "../helpers/smtp_server.ts";

/** Postfix starts its daemons as root and drops to its own user: it cannot run otherwise. */
const AS_ROOT: Peer = Deno.uid() === 0
  ? { package: "postfix", available: true, reason: "" }
  : { package: "postfix", available: false, reason: "a private Postfix needs root" };

/** How long the bounce may take to arrive. */
const BOUNCE_TIMEOUT_MS = 30_000;
/** How often the wait asks Postfix to try its queue again. */
const FLUSH_EVERY_MS = 5_000;

/** What Stallings sends to a user we do not have; returned whole inside the bounce. */
const ORIGINAL = "From: stallings@localhost\r\nTo: nobody@localhost\r\nSubject: to nobody\r\n\r\n" +
  "Is anyone there? (marker 7f3a)\r\n";

Deno.test(needing(
  [peer("postfix"), peer("libsasl2-modules"), AS_ROOT],
  "Postfix relaying with SASL gets its bounce (MAIL FROM:<>) through to the sender's mailbox",
  async () => {
    const server = await startSmtp();
    try {
      const login = { user: "Stallings", password: passwordOf("Stallings") };
      await withPostfixRelay({ relayPort: server.port, ...login }, async (postfix) => {
        const smtp = await SmtpClient.open(postfix.port);
        try {
          const queued = await smtp.send({ from: "stallings@localhost", to: ["nobody@localhost"], data: ORIGINAL });
          assert.equal(queued.code, 250, queued.last);
          await smtp.quit();
        } finally {
          await smtp.close();
        }

        const record = await waitForOneRecord(server.root, "Stallings", postfix);
        const { trace, message } = delivered(record);
        assert.deepEqual([trace.helo, trace.ip, trace.protocol], [POSTFIX_HOSTNAME, "127.0.0.1", "ESMTPA"]);
        assertPostfixBounce(decode(message));

        // Our log: the refusal that caused the bounce, then the bounce stored, both under Stallings's login.
        // The record is written before the 250 and the log lines, hence the waits.
        const id = escape(trace.id);
        const stored = new RegExp(
          `^\\S+ smtp id=${id} client=127\\.0\\.0\\.1 user=Stallings from=<> ` +
            `to=<stallings@localhost> size=${message.length} outcome=stored$`,
          "m",
        );
        await waitFor("our log line of the bounce", () => stored.test(server.stderrText()));
        assert.match(
          server.stderrText(),
          /^\S+ smtp id=- client=127\.0\.0\.1 user=Stallings from=<stallings@localhost> to=<nobody@localhost> size=0 outcome=refused at RCPT: 550 5\.1\.1$/m,
        );

        // Postfix's side: the original bounced on our 550, its report was sent (not deferred, not dropped).
        const sent = new RegExp(
          `to=<stallings@localhost>, relay=.*dsn=2\\.0\\.0, status=sent \\(250 2\\.0\\.0 OK queued as ${id}\\)`,
        );
        await waitFor("Postfix's log of the bounce sent", async () => sent.test(await postfix.log()));
        const postfixLog = await postfix.log();
        assert.match(
          postfixLog,
          /to=<nobody@localhost>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*dsn=5\.1\.1, status=bounced/,
        );
        assert.match(postfixLog, /sender non-delivery notification/);
        await waitFor("an empty Postfix queue", async () => /Mail queue is empty/.test(await postfix.queue()));
      });
      for (const user of ["Andrew", "Fourouzan"]) {
        assert.deepEqual((await readRecords(server.root, user)).records, [], `${user}'s mailbox`);
      }
    } finally {
      await server.stop();
      await server.temp.remove();
    }
  },
));

/**
 * Waits up to 30 s for `user`'s mailbox to hold a record, asking Postfix to
 * flush its queue every few seconds; returns it once it is the only one.
 * Fails at once when Postfix gave the bounce up (our server refused it for
 * good: Postfix then drops it, as a bounce of a bounce is never sent).
 */
async function waitForOneRecord(root: string, user: string, postfix: Postfix): Promise<Uint8Array> {
  const deadline = Date.now() + BOUNCE_TIMEOUT_MS;
  let nextFlush = Date.now() + FLUSH_EVERY_MS;
  for (;;) {
    const { records, tail } = await readRecords(root, user);
    if (records.length > 0) {
      assert.equal(records.length, 1, `${user}'s records`);
      assert.equal(tail.length, 0, "nothing after the last record");
      return records[0];
    }
    const log = await postfix.log();
    if (/ to=<stallings@localhost>, .* status=bounced /.test(log)) {
      assert.fail(`Postfix could not relay its bounce through us and dropped it; its log:\n${relevant(log)}`);
    }
    if (Date.now() > deadline) {
      assert.fail(`no bounce in ${user}'s mailbox after ${BOUNCE_TIMEOUT_MS} ms; Postfix's log:\n${relevant(log)}`);
    }
    if (Date.now() > nextFlush) {
      await postfix.flush();
      nextFlush = Date.now() + FLUSH_EVERY_MS;
    }
    await sleep(100);
  }
}

/** Postfix's log less the warnings of its start-up check about the owners of the private queue's directories. */
function relevant(log: string): string {
  return log.split("\n").filter((line) => !/postfix-script\[\d+\]: warning: /.test(line)).join("\n");
}

/** Asserts `text` is Postfix's non-delivery report for ORIGINAL, refused by us at RCPT. */
function assertPostfixBounce(text: string): void {
  const [header, body] = [text.slice(0, text.indexOf("\r\n\r\n") + 2), text.slice(text.indexOf("\r\n\r\n") + 4)];
  for (
    const field of [
      `From: Mail Delivery System <MAILER-DAEMON@${POSTFIX_HOSTNAME}>`,
      "Subject: Undelivered Mail Returned to Sender",
      "To: stallings@localhost",
      "Auto-Submitted: auto-replied",
    ]
  ) {
    assert.ok(header.includes(`\r\n${field}\r\n`), `${field} in\n${header}`);
  }
  assert.match(header, /^Content-Type: multipart\/report; report-type=delivery-status;\r\n\tboundary=/m);
  for (
    const line of [
      `This is the mail system at host ${POSTFIX_HOSTNAME}.`,
      "I'm sorry to have to inform you that your message could not",
      "<nobody@localhost>: host 127.0.0.1[127.0.0.1] said: 550 5.1.1 No such user here\r\n" +
      "    (in reply to RCPT TO command)",
      "Final-Recipient: rfc822; nobody@localhost",
      "Action: failed",
      "Status: 5.1.1",
      "Diagnostic-Code: smtp; 550 5.1.1 No such user here",
      "Subject: to nobody",
      "Is anyone there? (marker 7f3a)",
    ]
  ) {
    assert.ok(body.includes(`\r\n${line}\r\n`), `${JSON.stringify(line)} in\n${body}`);
  }
}

/** `text` with the characters that mean something in a regular expression escaped. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

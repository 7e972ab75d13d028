/**
 * Send Mail against an SMTP receiver that is not ours: Postfix's
 * `smtp-sink`, which announces 8BITMIME (or not, with -8) but neither
 * SMTPUTF8 nor SIZE, and can refuse commands. The client logs in with our
 * POP3 server and sends through smtp-sink.
 */

import assert from "node:assert/strict";
import { runClientPiped, serverArgs } from "../helpers/client_process.ts";
import { withMailServers } from "../helpers/mail_servers.ts";
import { needing, peer } from "../helpers/peers.ts";
import { type SmtpSink, withSmtpSink } from "../helpers/smtp_sink.ts";

const POSTFIX = peer("postfix");

const MAIL = [
  "From: stallings@localhost",
  "To: andrew@localhost",
  "Subject: Grüße",
  "You have learned SMTP very well. Keep It Up!!!",
  ".hidden dot line",
  "Héllo",
  ".",
];

async function send(sink: SmtpSink, lines: string[]): Promise<string> {
  return await withMailServers(async (servers) => {
    const input = ["Stallings", "network$security", "2", ...lines, "3"].map((l) => `${l}\n`).join("");
    const run = await runClientPiped(serverArgs(sink.port, servers.pop3.port), input);
    assert.equal(run.stderr, "");
    assert.equal(run.status.code, 0);
    return run.stdout;
  });
}

const HEADER =
  /^From: stallings@localhost\nTo: andrew@localhost\nSubject: =\?UTF-8\?B\?R3LDvMOfZQ==\?=\nDate: .+\nMessage-ID: <.+@localhost>\nMIME-Version: 1\.0\nContent-Type: text\/plain; charset=UTF-8\n/;

Deno.test(needing(
  POSTFIX,
  "mailclient sends to smtp-sink with BODY=8BITMIME and an encoded subject (no SMTPUTF8 there)",
  async () => {
    await withSmtpSink([], async (sink) => {
      assert.match(await send(sink, MAIL), /\nMail sent successfully\n/);
      const [captured] = await sink.messages();
      assert.equal(captured.mailArgs, "<stallings@localhost> BODY=8BITMIME");
      assert.deepEqual(captured.rcptArgs, ["<andrew@localhost>"]);
      assert.match(captured.message, HEADER);
      assert.match(
        captured.message,
        /\nContent-Transfer-Encoding: 8bit\n\nYou have learned SMTP very well\. Keep It Up!!!\n\.hidden dot line\nHéllo\n$/,
      );
    });
  },
));

Deno.test(needing(POSTFIX, "mailclient sends quoted-printable to an smtp-sink without 8BITMIME", async () => {
  await withSmtpSink(["-8"], async (sink) => {
    assert.match(await send(sink, MAIL), /\nMail sent successfully\n/);
    const [captured] = await sink.messages();
    assert.equal(captured.mailArgs, "<stallings@localhost>");
    assert.match(captured.message, HEADER);
    assert.match(
      captured.message,
      /\nContent-Transfer-Encoding: quoted-printable\n\n[^]*\n\.hidden dot line\nH=C3=A9llo\n$/,
    );
  });
}));

Deno.test(needing(POSTFIX, "mailclient shows smtp-sink's refusal of the recipient and no success", async () => {
  await withSmtpSink(["-f", "RCPT"], async (sink) => {
    const stdout = await send(sink, MAIL);
    assert.match(stdout, /Mail not sent\. The SMTP server replied:\n5\d\d .+\n/);
    assert.doesNotMatch(stdout, /Mail sent successfully/);
    assert.deepEqual(await sink.messages(), []);
  });
}));

/**
 * Send Mail against Python's standard-library SMTP receiver, which (unlike
 * smtp-sink) announces SMTPUTF8 and SIZE: the UTF-8 subject then goes as
 * it is, with the SMTPUTF8, BODY=8BITMIME and SIZE parameters.
 */

import assert from "node:assert/strict";
import { runClientPiped, serverArgs } from "../helpers/client_process.ts";
import { withMailServers } from "../helpers/mail_servers.ts";
import { withPythonSmtpd } from "../helpers/python_smtpd.ts";

Deno.test("mailclient sends UTF-8 with SMTPUTF8, 8BITMIME and SIZE to Python's smtpd", async () => {
  await withPythonSmtpd(async (smtpd) => {
    await withMailServers(async (servers) => {
      const lines = ["Stallings", "network$security", "2", "From: stallings@localhost", "To: andrew@localhost"];
      lines.push("Subject: Grüße aus Calicut", "..two dots", "ünïcödé", ".", "3");
      const run = await runClientPiped(serverArgs(smtpd.port, servers.pop3.port), lines.map((l) => `${l}\n`).join(""));
      assert.equal(run.stderr, "");
      assert.match(run.stdout, /\nMail sent successfully\n/);
    });
    const [message] = smtpd.messages();
    assert.equal(message.mailfrom, "stallings@localhost");
    assert.deepEqual(message.rcpttos, ["andrew@localhost"]);
    const size = Number(message.mail_options.find((o) => o.startsWith("SIZE="))?.slice(5));
    assert.deepEqual(message.mail_options.filter((o) => !o.startsWith("SIZE=")), ["BODY=8BITMIME", "SMTPUTF8"]);
    // smtpd hands over LF line ends without the last one; SIZE counted the DATA octets: CRLF, one stuffed dot, ".\r\n".
    assert.equal(size, new TextEncoder().encode(`${message.text.replace(/\n/g, "\r\n")}\r\n`).length + 1 + 3);
    assert.match(
      message.text,
      /^From: stallings@localhost\nTo: andrew@localhost\nSubject: Grüße aus Calicut\nDate: .+\nMessage-ID: <.+>\nMIME-Version: 1\.0\nContent-Type: text\/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n\.\.two dots\nünïcödé$/,
    );
  });
});

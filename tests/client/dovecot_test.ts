/**
 * Manage Mail against another POP3 server: Dovecot (Debian
 * `dovecot-pop3d`), run privately on a loopback port with maildirs this
 * test fills with mail as real clients write it.
 */

import assert from "node:assert/strict";
import { runClient } from "../../lib/client/menu.ts";
import { ConsoleInput } from "../../lib/client/terminal.ts";
import { CapturedOutput, pipedText } from "../helpers/client_io.ts";
import { type Dovecot, withDovecot } from "../helpers/dovecot.ts";
import { needing, peer } from "../helpers/peers.ts";

const DOVECOT = peer("dovecot-pop3d");

const USERS = [{ name: "Andrew", password: "@dministr@tor" }, { name: "Stallings", password: "network$security" }];
const ANDREW = ["Andrew", "@dministr@tor"];

const ASSIGNMENT_MAIL = `From: stallings@localhost
To: andrew@localhost
Subject: Network Lab Experiment 7
Received: from [127.0.0.1] ([127.0.0.1]) by vm with ESMTP id a1; Fri, 27 Nov 2026 09:45:57 +0000
Date: Fri, 27 Nov 2026 09:40:00 +0000

You have learned SMTP very well. Keep It Up!!!
`;

const MIME_MAIL = `Return-Path: <juergen@example.org>
Received: from mx.example.org by mail.example.com with ESMTPS id b2;
\tSat, 28 Nov 2026 14:03:10 +0530
From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.org>
To: Andrew <andrew@localhost>
Subject: =?UTF-8?B?UmVwb3J0IGbDvHIgS8O2bG4=?=
Date: Sat, 28 Nov 2026 09:30:00 +0100
Message-ID: <b2@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe aus K=F6ln,
the report is attached.
--b1
Content-Type: application/pdf; name="report.pdf"
Content-Disposition: attachment; filename="report.pdf"
Content-Transfer-Encoding: base64

${btoa("%PDF-1.4 ".repeat(200))}
--b1--
`;

const DOTS_MAIL = `From: fourouzan@localhost
To: andrew@localhost
Subject: dots
Date: Sun, 29 Nov 2026 10:00:00 +0000

.one
..two
.
end
`;

async function run(dovecot: Dovecot, lines: string[]): Promise<{ status: number; text: string }> {
  const output = new CapturedOutput();
  const input = new ConsoleInput({ source: pipedText(lines.map((l) => `${l}\n`).join("")), screen: output });
  const servers = { host: "127.0.0.1", smtpPort: 1, pop3Port: dovecot.port };
  const status = await runClient({ input, output, servers, timeZone: "UTC" });
  return { status, text: output.text };
}

Deno.test(
  needing(DOVECOT, "mailclient's Manage Mail lists, reads and deletes mail on Dovecot's POP3 server", async () => {
    await withDovecot(USERS, async (dovecot) => {
      await dovecot.deliver("Andrew", ASSIGNMENT_MAIL);
      await dovecot.deliver("Andrew", MIME_MAIL);
      await dovecot.deliver("Andrew", DOTS_MAIL);
      const { status, text } = await run(dovecot, [...ANDREW, "1", "2", "x", "3", "d", "q", "3"]);
      assert.equal(status, 0);
      assert.match(
        text,
        new RegExp(
          "Sl\\. No\\.  Sender               Received           Subject\n" +
            "1        stallings@localhost  27 Nov 2026 09:45  Network Lab Experiment 7\n" +
            "2        juergen@example\\.org  28 Nov 2026 08:33  Report für Köln\n" +
            "3        fourouzan@localhost  29 Nov 2026 10:00  dots\n",
        ),
      );
      assert.ok(
        text.includes(
          "From:     Jürgen Müller <juergen@example.org>\nTo:       Andrew <andrew@localhost>\n" +
            "Subject:  Report für Köln\nReceived: 28 Nov 2026 08:33\n\nGrüße aus Köln,\nthe report is attached.\n\n" +
            "Attachments:\n  report.pdf (application/pdf, 1.8 KiB)\n",
        ),
        text,
      );
      assert.ok(text.includes("Subject:  dots\nReceived: 29 Nov 2026 10:00\n\n.one\n..two\n.\nend\n"), text);
      assert.match(text, /Mail 3 deleted .*\n\nSl\. No\.[^]*2 +juergen@example\.org[^\n]*\nEnter the serial number/);
      assert.match(text, /or q to quit: \+OK Logging out.*\n\nOptions:/);
      assert.equal((await dovecot.messages("Andrew")).length, 2);
      const again = await run(dovecot, [...ANDREW, "1", "q", "3"]);
      assert.doesNotMatch(again.text, /dots/);
      assert.match(again.text, /\n2 +juergen@example\.org .*\nEnter the serial number/);
    });
  }),
);

Deno.test(needing(DOVECOT, "mailclient against Dovecot: wrong password and an empty mailbox", async () => {
  await withDovecot(USERS, async (dovecot) => {
    const wrong = await run(dovecot, ["Andrew", "network$security"]);
    assert.match(wrong.text, /Login failed: wrong user name or password\. The POP3 server said: -ERR \[AUTH\] .+\n/);
    const empty = await run(dovecot, ["Stallings", "network$security", "1", "3"]);
    assert.match(empty.text, /Your mailbox is empty\.\n\+OK Logging out.*\n/);
  });
}));

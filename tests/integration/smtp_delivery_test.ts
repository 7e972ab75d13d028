/**
 * smtpmail over real sockets: the seed mail's stored bytes, several
 * recipients, and pipelined commands (RFC 2920).
 */

import assert from "node:assert/strict";
import { hostname } from "node:os";
import { join } from "node:path";
import { assertBytesEqual, decode, encode } from "../helpers/bytes.ts";
import { delivered, parseTrace, readMailbox, readRecords } from "../helpers/mailbox_file.ts";
import { SEED_MAIL, SmtpClient, stuff } from "../helpers/smtp_client.ts";
import { withSmtp } from "../helpers/smtp_server.ts";
import { waitFor } from "../helpers/server_process.ts";

const QUEUED = /^250 2\.0\.0 OK queued as (\S+)$/;

/** `text` with regular expression syntax escaped. */
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

Deno.test("smtpmail stores the seed example mail in the assignment's format", async () => {
  await withSmtp([], async (server) => {
    const before = Date.now();
    const client = await SmtpClient.open(server.port);
    let id: string;
    try {
      const r = await client.send({ from: "stallings@localhost", to: ["andrew@localhost"], data: SEED_MAIL });
      id = QUEUED.exec(r.last)?.[1] ?? assert.fail(`not queued: ${r.last}`);
      await client.quit();
    } finally {
      await client.close();
    }
    const lines = decode(await readMailbox(server.root, "Andrew")).split("\r\n");
    const day = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \\d{4}";
    assert.match(
      lines[3],
      new RegExp(
        `^Received: from client\\.test \\(\\[127\\.0\\.0\\.1\\]\\) by ${escape(hostname())} with ESMTP id ${
          escape(id)
        }; ` +
          `${day} \\d\\d:\\d\\d:\\d\\d \\+0000$`,
      ),
    );
    const trace = parseTrace(lines[3]) ?? assert.fail("the id is not a valid POP3 unique-id (RFC 1939 §7)");
    // RFC 5322 dates have whole seconds.
    assert.ok(trace.date.getTime() >= before - 1000 && trace.date.getTime() <= Date.now(), trace.line);
    lines[3] = "<trace>";
    assert.equal(
      lines.join("\r\n"),
      "From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: Network Lab Experiment 7\r\n<trace>\r\n" +
        "\r\nYou have learned SMTP very well. Keep It Up!!!\r\n.\r\n",
    );
    for (const user of ["Stallings", "Fourouzan"]) assert.equal((await readMailbox(server.root, user)).length, 0);
    await waitFor("the log line", () => server.stderrText().includes(`id=${id}`));
    const log = server.stderrText().split("\n").filter((l) => l.includes(`id=${id}`));
    assert.equal(log.length, 1, server.stderrText());
    assert.match(
      log[0],
      new RegExp(
        `client=127\\.0\\.0\\.1 from=<stallings@localhost> to=<andrew@localhost> size=${
          encode(SEED_MAIL).length
        } outcome=stored$`,
      ),
    );
  });
});

Deno.test("smtpmail delivers one identical copy to each of several recipients", async () => {
  await withSmtp([], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      const data = "From: stallings@localhost\r\nTo: andrew@localhost, Stallings@localhost\r\nSubject: all\r\n\r\n" +
        ".leading dot\r\nthree copies, one per user\r\n";
      const r = await client.send({
        from: "stallings@localhost",
        // Andrew twice (different case) must still give Andrew one copy.
        to: ["andrew@localhost", "Stallings@localhost", "fourouzan@LOCALHOST", "ANDREW@localhost"],
        data,
      });
      assert.match(r.last, QUEUED);
      await client.quit();
      const copies = await Promise.all(["Andrew", "Stallings", "Fourouzan"].map((u) => readRecords(server.root, u)));
      for (const copy of copies) {
        assert.equal(copy.records.length, 1);
        assert.equal(copy.tail.length, 0);
        assertBytesEqual(delivered(copy.records[0]).message, encode(data), "stored message");
      }
      assertBytesEqual(copies[1].records[0], copies[0].records[0], "Stallings' copy");
      assertBytesEqual(copies[2].records[0], copies[0].records[0], "Fourouzan's copy");
    } finally {
      await client.close();
    }
  });
});

Deno.test("smtpmail answers pipelined commands in order", async () => {
  await withSmtp([], async (server) => {
    const client = await SmtpClient.connect(server.port);
    try {
      await client.expect(220);
      await client.write(
        "EHLO pipe.test\r\nMAIL FROM:<stallings@localhost>\r\nRCPT TO:<andrew@localhost>\r\n" +
          "RCPT TO:<nobody@localhost>\r\nRCPT TO:<fourouzan@localhost>\r\nDATA\r\n",
      );
      const ehlo = await client.expect(250);
      assert.ok(ehlo.lines.includes("250-PIPELINING"), JSON.stringify(ehlo.lines));
      assert.equal((await client.reply()).last, "250 2.1.0 Sender OK");
      assert.equal((await client.reply()).last, "250 2.1.5 Recipient OK");
      assert.equal((await client.reply()).last, "550 5.1.1 No such user here");
      assert.equal((await client.reply()).last, "250 2.1.5 Recipient OK");
      assert.equal((await client.reply()).last, "354 End data with <CR><LF>.<CR><LF>");
      const data = "Subject: pipelined\r\n\r\nbody\r\n";
      await client.write(new Uint8Array([...stuff(data), ...encode("NOOP\r\nQUIT\r\n")]));
      assert.match((await client.reply()).last, QUEUED);
      assert.equal((await client.reply()).last, "250 2.0.0 OK");
      assert.match((await client.reply()).last, /^221 2\.0\.0 /);
      assert.equal(await client.conn.readToEnd(), "");
      for (const user of ["Andrew", "Fourouzan"]) {
        const { records } = await readRecords(server.root, user);
        assert.equal(records.length, 1, user);
        const stored = delivered(records[0]);
        assert.equal(stored.traceIndex, 0, "trace line first when the header does not start From/To/Subject");
        assert.equal(stored.trace.helo, "pipe.test");
        assertBytesEqual(stored.message, encode(data), `${user}'s message`);
      }
    } finally {
      await client.close();
    }
  });
});

Deno.test("smtpmail stores no copy at all when it answers 451 to a message for several users", async () => {
  await withSmtp([], async (server) => {
    // Andrew's mailbox cannot be opened for appending: a directory stands in its place (root ignores modes).
    const blocked = join(server.root, "Andrew", "mymailbox");
    await Deno.mkdir(blocked);
    const client = await SmtpClient.open(server.port);
    try {
      const mail = { from: "fourouzan@localhost", to: ["stallings@localhost", "andrew@localhost"], data: SEED_MAIL };
      assert.equal((await client.send(mail)).last, "451 4.3.0 Local error in processing, try again later");
      // The client keeps the message and tries again later, for both recipients, once the fault is gone.
      await Deno.remove(blocked);
      assert.match((await client.send(mail)).last, QUEUED);
      await client.quit();
    } finally {
      await client.close();
    }
    for (const user of ["Stallings", "Andrew"]) {
      const { records } = await readRecords(server.root, user);
      assert.equal(records.length, 1, `${user} has exactly one copy, not one per attempt`);
    }
  });
});

Deno.test("smtpmail's log line escapes control characters that an envelope address carries", async () => {
  await withSmtp([], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      await client.command('MAIL FROM:<"evil\u2028forged\u009b2J x"@b.test> SMTPUTF8', 250);
      await client.command("RCPT TO:<andrew@localhost>", 250);
      await client.command("DATA", 354);
      await client.write(stuff("Subject: escaped\r\n\r\nbody\r\n"));
      const id = QUEUED.exec((await client.reply()).last)?.[1] ?? assert.fail("not queued");
      await client.quit();
      await waitFor("the log line", () => server.stderrText().includes(`id=${id}`));
      const line = server.stderrText().split("\n").find((l) => l.includes(`id=${id}`))!;
      assert.ok(/^[\x20-\x7e]*$/.test(line), `only printable ASCII: ${JSON.stringify(line)}`);
      assert.match(line, / from="<\\"evil\\u2028forged\\u009b2J x\\"@b\.test>" to=<andrew@localhost> /);
    } finally {
      await client.close();
    }
  });
});

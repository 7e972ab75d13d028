/**
 * smtpmail and line limits (RFC 5321 §4.5.3.1): over-long command and text
 * lines are refused without ending the session, short of 64 KiB without a
 * line end, past which the client is cut off (see endless_line_test.ts).
 */

import assert from "node:assert/strict";
import { assertBytesEqual, encode } from "../helpers/bytes.ts";
import { delivered, readMailbox, readRecords } from "../helpers/mailbox_file.ts";
import { waitFor } from "../helpers/server_process.ts";
import { SmtpClient, stuff } from "../helpers/smtp_client.ts";
import { withSmtp } from "../helpers/smtp_server.ts";

Deno.test("smtpmail refuses a 600-byte command line with 500 5.5.0 and stays usable", async () => {
  await withSmtp([], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      assert.equal((await client.command(`NOOP ${"x".repeat(595)}`)).last, "500 5.5.0 Line too long");
      assert.equal((await client.command("NOOP")).last, "250 2.0.0 OK");
      // 512 octets with CRLF is the limit (RFC 5321 §4.5.3.1.4); one more is too long.
      assert.equal((await client.command(`NOOP ${"x".repeat(505)}`)).last, "250 2.0.0 OK");
      assert.equal((await client.command(`NOOP ${"x".repeat(506)}`)).last, "500 5.5.0 Line too long");
      // An over-long RCPT inside a transaction does not end the transaction.
      await client.command("MAIL FROM:<stallings@localhost>", 250);
      await client.command(`RCPT TO:<${"a".repeat(600)}@localhost>`, 500);
      await client.command("RCPT TO:<andrew@localhost>", 250);
      await client.command("DATA", 354);
      await client.write(stuff("Subject: after long lines\r\n\r\nok\r\n"));
      await client.expect(250);
      await client.quit();
      assert.equal((await readRecords(server.root, "Andrew")).records.length, 1);
    } finally {
      await client.close();
    }
  });
});

Deno.test("smtpmail refuses a message with an over-long text line after the final dot", async () => {
  await withSmtp([], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      await client.command("MAIL FROM:<stallings@localhost>", 250);
      await client.command("RCPT TO:<andrew@localhost>", 250);
      await client.command("DATA", 354);
      // The server must keep reading to the final dot: no reply before it.
      await client.write(`Subject: long\r\n\r\nshort\r\n${"L".repeat(1200)}\r\nmore text\r\n.\r\n`);
      const r = await client.reply();
      assert.match(r.last, /^5\d\d 5\.\d\.\d+ /, r.last);
      assert.equal((await client.command("NOOP")).last, "250 2.0.0 OK", "no stray replies, session usable");
      assert.equal((await readMailbox(server.root, "Andrew")).length, 0, "nothing stored");
      const fits = `Subject: fits\r\n\r\n${"F".repeat(998)}\r\n`;
      await client.command("MAIL FROM:<stallings@localhost>", 250);
      await client.command("RCPT TO:<andrew@localhost>", 250);
      await client.command("DATA", 354);
      await client.write(stuff(fits));
      assert.match((await client.reply()).last, /^250 2\.0\.0 /, "a 1000-octet line fits");
      await client.quit();
      const { records } = await readRecords(server.root, "Andrew");
      assert.equal(records.length, 1);
      assertBytesEqual(delivered(records[0]).message, encode(fits), "message with a 1000-octet line");
    } finally {
      await client.close();
    }
  });
});

Deno.test("smtpmail logs a message refused for an over-long line with the size actually received", async () => {
  await withSmtp(["--text-line-limit", "100"], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      // 17 + 7 + 503 (a stuffed line of 501 octets and CRLF, sent in pieces) + 11 + 6 (a bare LF counts as CRLF) + 152.
      const parts = [
        "Subject: long\r\n\r\nshort\r\n..",
        "L".repeat(300),
        "L".repeat(200),
        "\r\nmore text\r\n",
        "abcd\n",
      ];
      await client.command("MAIL FROM:<stallings@localhost>", 250);
      await client.command("RCPT TO:<andrew@localhost>", 250);
      await client.command("DATA", 354);
      for (const part of parts) await client.write(part);
      await client.write(`${"x".repeat(150)}\r\n.\r\n`);
      assert.match((await client.expect(500)).last, /\b100 octets\b/);
      await client.quit();
      const size = 17 + 7 + 503 + 11 + 6 + 152;
      const logged = new RegExp(
        ` smtp id=- client=127\\.0\\.0\\.1 from=<stallings@localhost> to=<andrew@localhost> ` +
          `size=${size} outcome=rejected: line too long\n`,
      );
      await waitFor("the log line", () => logged.test(server.stderrText())).catch(() =>
        assert.fail(`no line matching ${logged} in:\n${server.stderrText()}`)
      );
      console.log(`logged: ${/size=\d+ outcome=.*/.exec(server.stderrText())![0]}`);
    } finally {
      await client.close();
    }
  });
});

Deno.test("smtpmail does not count the stuffed dot against the 1000-octet text line limit", async () => {
  await withSmtp([], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      // RFC 5321 §4.5.3.1.6: 1000 octets with CRLF, "not counting the leading dot duplicated for transparency".
      const message = `Subject: dot line\r\n\r\n.${"D".repeat(997)}\r\n`;
      await client.command("MAIL FROM:<stallings@localhost>", 250);
      await client.command("RCPT TO:<andrew@localhost>", 250);
      await client.command("DATA", 354);
      await client.write(stuff(message));
      const r = await client.reply();
      assert.match(r.last, /^250 2\.0\.0 /, `a 998-character line starting with "." was refused: ${r.last}`);
      await client.quit();
      const { records } = await readRecords(server.root, "Andrew");
      assert.equal(records.length, 1);
      assertBytesEqual(delivered(records[0]).message, encode(message), "message with a dot line");
    } finally {
      await client.close();
    }
  });
});

Deno.test("smtpmail applies --text-line-limit and names that limit when refusing", async () => {
  await withSmtp(["--text-line-limit", "100"], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      for (const [length, code] of [[98, 250], [99, 500]] as const) {
        await client.command("MAIL FROM:<stallings@localhost>", 250);
        await client.command("RCPT TO:<andrew@localhost>", 250);
        await client.command("DATA", 354);
        await client.write(stuff(`Subject: limit\r\n\r\n${"t".repeat(length)}\r\n`));
        const r = await client.expect(code);
        if (code === 500) assert.match(r.last, /\b100 octets\b/, `the refusal names the configured limit: ${r.last}`);
      }
      await client.quit();
      assert.equal((await readRecords(server.root, "Andrew")).records.length, 1);
    } finally {
      await client.close();
    }
  });
});

Deno.test("smtpmail refuses a 60 KiB command line and stays usable; past 64 KiB without a line end it cuts off", async () => {
  await withSmtp([], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      // Far over the limit, yet short of the run after which a client is cut off (endless_line_test.ts).
      assert.equal((await client.command(`NOOP ${"x".repeat(60 * 1024)}`)).last, "500 5.5.0 Line too long");
      assert.equal((await client.command("NOOP")).last, "250 2.0.0 OK");
      await client.write(`NOOP ${"x".repeat(65 * 1024)}`);
      assert.equal((await client.reply()).last, "500 5.5.0 Line too long");
      assert.match((await client.reply()).last, /^421 4\.7\.0 \S+ Line too long, closing connection$/);
      assert.equal(await client.conn.readToEnd(), "");
    } finally {
      await client.close();
    }
  });
});

/**
 * smtpmail with real clients: Python's smtplib and curl. What they send
 * must come back byte for byte once the record is unstuffed and the trace
 * line removed.
 */

import assert from "node:assert/strict";
import { assertBytesEqual, encode } from "../helpers/bytes.ts";
import { delivered, readRecords } from "../helpers/mailbox_file.ts";
import { runWithInput } from "../helpers/server_process.ts";
import { withSmtp } from "../helpers/smtp_server.ts";

/** Lines a naive server mangles: lone dots, leading dots, "From " lines, 8-bit text, blank lines. */
const TRICKY_BODY = "first line\r\n.\r\n.hidden\r\n..two dots\r\nFrom me, not a header\r\n>From quoted\r\n" +
  "Grüße aus Köln – ünïcödé ✓ 日本語\r\n leading space\r\n\ttab\r\n\r\n\r\nlast line after two blank lines\r\n";

const PYTHON_SENDER = `
import smtplib, sys
port, sender, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
msg = sys.stdin.buffer.read()
with smtplib.SMTP("127.0.0.1", port, local_hostname="python.test", timeout=10) as s:
    refused = s.sendmail(sender, rcpts, msg, mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    assert refused == {}, refused
print("sent")
`;

Deno.test("smtpmail receives mail from Python smtplib byte for byte", async () => {
  await withSmtp([], async (server) => {
    const message = encode(
      "Date: Fri, 27 Nov 2026 09:45:57 +0000\r\nFrom: Jöran <jöran@example.org>\r\nTo: andrew@localhost\r\n" +
        "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nMessage-ID: <1@python.test>\r\nMIME-Version: 1.0\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + TRICKY_BODY,
    );
    const run = await runWithInput(
      "python3",
      ["-c", PYTHON_SENDER, String(server.port), "jöran@example.org", "andrew@localhost", "Fourouzan@localhost"],
      message,
    );
    assert.equal(run.status.code, 0, run.stderr);
    for (const user of ["Andrew", "Fourouzan"]) {
      const { records, tail } = await readRecords(server.root, user);
      assert.equal(records.length, 1, user);
      assert.equal(tail.length, 0);
      const stored = delivered(records[0]);
      assert.equal(stored.traceIndex, 0, "a message starting with Date: gets the trace line on top");
      assert.equal(stored.trace.helo, "python.test");
      assertBytesEqual(stored.message, message, `${user}'s message`);
    }
    assert.match(server.stderrText(), /from=<jöran@example\.org> to=<andrew@localhost>,<Fourouzan@localhost> /);
  });
});

Deno.test("smtpmail receives mail from curl byte for byte", async () => {
  await withSmtp([], async (server) => {
    const message = encode(
      "From: fourouzan@localhost\r\nTo: andrew@localhost\r\nSubject: sent by curl\r\n\r\n" + TRICKY_BODY,
    );
    const run = await runWithInput("curl", [
      "--silent",
      "--show-error",
      "--max-time",
      "20",
      `smtp://127.0.0.1:${server.port}/curl.test`,
      "--mail-from",
      "fourouzan@localhost",
      "--mail-rcpt",
      "andrew@localhost",
      "--upload-file",
      "-",
    ], message);
    assert.equal(run.status.code, 0, run.stderr);
    const { records, tail } = await readRecords(server.root, "Andrew");
    assert.equal(records.length, 1);
    assert.equal(tail.length, 0);
    const stored = delivered(records[0]);
    assert.equal(stored.traceIndex, 3, "From/To/Subject first puts the trace line after Subject");
    assert.equal(stored.trace.helo, "curl.test");
    assertBytesEqual(stored.message, message, "curl's message");
  });
});

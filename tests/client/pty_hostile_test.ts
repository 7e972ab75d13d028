/**
 * Hostile mails read in a pseudo-terminal of 80 x 24, with the client's
 * peak RSS read from /proc: a 10 MB mail of 100,000 MIME parts shows its
 * main headers, a one-line notice and one screen of raw text; format
 * characters (U+202E in an attachment name, zero-width characters, U+2028)
 * are shown visibly; a From whose encoded word decodes to control
 * characters still shows its address.
 */

import assert from "node:assert/strict";
import { clientPid, PtySession, serverArgs } from "../helpers/client_process.ts";
import { listedMessage, writeMailbox } from "../helpers/client_mailbox.ts";
import { withMailServers } from "../helpers/mail_servers.ts";
import { procMemory } from "../helpers/server_process.ts";

const SIZE = { columns: 80, rows: 24 };
/** The client's peak RSS allowed while it shows the 10 MB mail (it grew to 585 MB before). */
const MAX_PEAK_RSS = 120 * 1024 * 1024;
const PARTS = 100_000;

/** About 10 MB: 100,000 small text parts. */
function manyParts(): string {
  const head = listedMessage(1, "many parts").replace(/\r\n\r\n[^]*$/, "\r\n") +
    'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="p"\r\n\r\n';
  const parts: string[] = [];
  for (let i = 0; i < PARTS; i++) parts.push(`--p\r\nContent-Type: text/plain\r\n\r\npart ${i} ${"z".repeat(60)}\r\n`);
  return `${head}${parts.join("")}--p--\r\n`;
}

const FORMAT_CHARACTERS = listedMessage(2, "=?utf-8?q?pay=E2=80=8Bment_due=E2=80=A8now?=").replace(
  /\r\n\r\n[^]*$/,
  '\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n' +
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
    "Open=E2=80=AEthe invoice=E2=80=A8today=E2=80=8D.\r\n" +
    '--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="=?utf-8?q?inv=E2=80=AEfdp.exe?="\r\n' +
    "Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n",
);

const CONTROL_SENDER = listedMessage(3, "from the boss").replace(
  /^From: .*\r\n/,
  "From: =?utf-8?q?Boss=0D=0A=1B[2J=00?= <boss@example.org>\r\n",
);

Deno.test("mailclient on a terminal shows hostile mails safely, with bounded memory", async () => {
  const mails = [manyParts(), FORMAT_CHARACTERS, CONTROL_SENDER];
  await withMailServers(async (servers) => {
    const args = serverArgs(servers.smtp.port, servers.pop3.port);
    const pty = await PtySession.start(PtySession.clientLine(args, "", SIZE));
    let at = await pty.waitFor(/Username: $/);
    await pty.type("Andrew\r@dministr@tor\r");
    at = await pty.waitFor(/\(1-3\): $/, at);
    await pty.type("1\r");
    at = await pty.waitFor(/Mails 1-3 of 3\. .*: $/, at);
    assert.match(pty.screen.slice(at - 600, at), /\n3 +boss@example\.org +/);

    await pty.type("1\r");
    const opened = at;
    at = await pty.waitFor(/any other key to see the list again: $/, at, 60_000);
    const shown = pty.screen.slice(opened, at);
    assert.match(shown, /\nFrom: {5}sender1@example\.org\nTo: {7}andrew@localhost\nSubject: {2}many parts\n/);
    assert.match(
      shown,
      /\n\(This mail cannot be decoded: it has more than 1,000 MIME parts\. Its first lines\n follow as received\.\)\n\n--p\n/,
    );
    assert.ok(shown.length < 4000, `${shown.length} characters shown`);
    const peak = await procMemory(await clientPid(args), "VmHWM");
    console.log(`client peak RSS after the 10 MB mail of ${PARTS} parts: ${(peak / 1048576).toFixed(1)} MiB`);
    assert.ok(peak < MAX_PEAK_RSS, `peak RSS ${peak}`);

    await pty.type("x");
    at = await pty.waitFor(/Mails 1-3 of 3\. .*: $/, at);
    await pty.type("2\r");
    const second = at;
    at = await pty.waitFor(/any other key to see the list again: $/, at);
    const text = pty.screen.slice(second, at);
    assert.match(text, /\nSubject: {2}pay\uFFFDment due\uFFFDnow\n/);
    assert.match(text, /\nOpen\uFFFDthe invoice\uFFFDtoday\uFFFD\.\n/);
    assert.match(text, /\n {2}inv\uFFFDfdp\.exe \(application\/octet-stream, 3 bytes\)\n/);
    assert.doesNotMatch(pty.screen, /[\u202e\u200b\u200d\u2028]/);

    await pty.type("x");
    at = await pty.waitFor(/Mails 1-3 of 3\. .*: $/, at);
    await pty.type("3\r");
    const third = at;
    at = await pty.waitFor(/any other key to see the list again: $/, at);
    assert.match(pty.screen.slice(third, at), /\nFrom: {5}Boss\uFFFD\uFFFD\uFFFD\[2J\uFFFD <boss@example\.org>\n/);
    assert.ok(!pty.screen.includes("\x1b"), "no escape character reaches the terminal");
    await pty.type("q");
    at = await pty.waitFor(/\(1-3\): $/, at);
    await pty.type("3\r");
    assert.equal((await pty.finish()).code, 0, pty.screen);
  }, { prepare: (root) => writeMailbox(root, "Andrew", mails.length, (n) => mails[n - 1]) });
});

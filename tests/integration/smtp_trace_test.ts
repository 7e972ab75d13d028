/**
 * `smtpmail --trace` over real sockets: AUTH PLAIN and LOGIN payloads
 * masked in the trace and absent from every log, a message shown by its
 * first header lines and size only, the JSON form carrying the same lines
 * as the text form, and the TLS upgrades (STARTTLS and implicit TLS).
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { encode } from "../helpers/bytes.ts";
import { runWithInput } from "../helpers/server_process.ts";
import { SEED_MAIL, SmtpClient, stuff } from "../helpers/smtp_client.ts";
import { type SmtpServer, withSmtp } from "../helpers/smtp_server.ts";
import { implicitTlsPort, tlsFlags, withTestCert } from "../helpers/tls.ts";
import { parseTraceText, tracedLines, traceRecords, traceText, waitForClosedSessions } from "../helpers/trace.ts";

const b64 = (text: string) => Buffer.from(text).toString("base64");

const PASSWORD = "network$security";
const WRONG = "wrong-pass-123";

/** Everything that must never appear in a trace or a log line. */
const SECRETS = [
  PASSWORD,
  WRONG,
  b64(`\0Stallings\0${PASSWORD}`),
  b64(`\0Stallings\0${WRONG}`),
  b64("Stallings"),
  b64(PASSWORD),
  b64(WRONG),
];

/** The traced lines of one session, `C line`, `S line` or `- event`. */
function sessionLines(server: SmtpServer, session: number): string[] {
  return tracedLines(traceText(server).map(parseTraceText).filter((l) => l.session === session));
}

Deno.test("smtpmail --trace masks AUTH PLAIN and LOGIN payloads, and no trace or log line holds them", async () => {
  await withSmtp(["--trace", "--failed-login-delay", "1"], async (server) => {
    const plain = await SmtpClient.open(server.port);
    await plain.command(`AUTH PLAIN ${b64(`\0Stallings\0${PASSWORD}`)}`, 235);
    await plain.quit();
    const failing = await SmtpClient.open(server.port);
    await failing.command("AUTH LOGIN", 334);
    await failing.command(b64("Stallings"), 334);
    await failing.command(b64(WRONG), 535);
    await failing.command("AUTH PLAIN", 334);
    await failing.command(b64(`\0Stallings\0${WRONG}`), 535);
    await failing.quit();
    const login = await SmtpClient.open(server.port);
    await login.command(`AUTH LOGIN ${b64("Stallings")}`, 334);
    await login.command(b64(PASSWORD), 235);
    await login.quit();
    await waitForClosedSessions(server, 3);
    const everything = server.stdoutText() + server.stderrText();
    for (const secret of SECRETS) assert.ok(!everything.includes(secret), `${secret} is in the output`);
    assert.match(server.stderrText(), / smtp login failed client=127\.0\.0\.1 user="Stallings" /);
    assert.ok(sessionLines(server, 1).includes("C AUTH PLAIN ****"));
    const failed = sessionLines(server, 2);
    assert.deepEqual(failed.slice(failed.indexOf("C AUTH LOGIN"), failed.indexOf("C QUIT")), [
      "C AUTH LOGIN",
      "S 334 VXNlcm5hbWU6",
      "- state auth",
      "C ****",
      "S 334 UGFzc3dvcmQ6",
      "C ****",
      "S 535 5.7.8 Authentication credentials invalid",
      "- state greeted",
      "C AUTH PLAIN",
      "S 334",
      "- state auth",
      "C ****",
      "S 535 5.7.8 Authentication credentials invalid",
      "- state greeted",
    ]);
    assert.ok(sessionLines(server, 3).includes("C AUTH LOGIN ****"));
    const notes = traceText(server).map(parseTraceText).map((l) => l.note);
    assert.ok(notes.some((n) => n.endsWith('SASL challenge: send the next response (it reads "Password:")')));
  });
});

Deno.test("smtpmail --trace shows a message by its first five header lines and its size, never its body", async () => {
  await withSmtp(["--trace"], async (server) => {
    const headers = [
      "From: stallings@localhost",
      "To: andrew@localhost",
      "Subject: seven header lines",
      "Date: Fri, 27 Nov 2026 09:45:57 +0000",
      "Message-ID: <1@localhost>",
      "X-Sixth: not shown",
      "X-Seventh: not shown",
    ];
    const data = `${headers.join("\r\n")}\r\n\r\nBODY-SECRET first line\r\n.a line that is stuffed\r\n`;
    const client = await SmtpClient.open(server.port);
    const reply = await client.send({ from: "stallings@localhost", to: ["andrew@localhost"], data });
    assert.equal(reply.code, 250);
    await client.quit();
    await waitForClosedSessions(server, 1);
    const lines = sessionLines(server, 1);
    const first = lines.indexOf("- state data") + 1;
    assert.deepEqual(lines.slice(first, first + 7), [
      ...headers.slice(0, 5).map((h) => `C ${h}`),
      `C [message: ${stuff(data).length - 3} bytes; only its first header lines shown]`,
      "C .",
    ]);
    assert.ok(!server.stdoutText().includes("BODY-SECRET") && !server.stdoutText().includes("X-Sixth"));
  });
});

/** One conversation with a refusal, a message and a few commands. */
async function converse(server: SmtpServer): Promise<void> {
  const client = await SmtpClient.open(server.port);
  await client.command("MAIL FROM:<stallings@localhost>", 250);
  await client.command("RCPT TO:<nobody@localhost>", 550);
  await client.command("RCPT TO:<andrew@localhost>", 250);
  await client.command("DATA", 354);
  await client.write(stuff(SEED_MAIL));
  await client.expect(250);
  await client.command("NOOP", 250);
  await client.command("HELP", 214);
  await client.quit();
  await waitForClosedSessions(server, 1);
}

Deno.test("smtpmail --trace-format json writes one object per line with the same fields as the text form", async () => {
  const text = await withSmtp(["--trace"], async (server) => {
    await converse(server);
    return traceText(server).map(parseTraceText);
  });
  await withSmtp(["--trace", "--trace-format", "json"], async (server) => {
    await converse(server);
    const objects = server.stdoutText().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    for (const o of objects) {
      assert.deepEqual(Object.keys(o), ["time", "protocol", "session", "direction", "line", "note"]);
    }
    const records = traceRecords(server);
    assert.ok(records.every((r) => !Number.isNaN(r.time.getTime()) && r.protocol === "smtp" && r.session === 1));
    const id = (line: string) => line.replace(/queued as \S+/, "queued as ID");
    assert.deepEqual(
      records.map((r) => [r.direction, id(r.line), r.note]),
      text.map((l) => [l.direction.replace(":", "").replace("--", "-"), id(l.line), l.note]),
    );
    assert.ok(text.length > 30, `${text.length} lines`);
  });
});

const PYTHON_TLS = `
import smtplib, ssl, sys
port, tls_port, cafile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=cafile)
with smtplib.SMTP("127.0.0.1", port, local_hostname="python.test", timeout=5) as s:
    s.starttls(context=ctx)
    s.login("Stallings", "${PASSWORD}")
with smtplib.SMTP_SSL("127.0.0.1", tls_port, local_hostname="python.test", context=ctx, timeout=5) as s:
    s.noop()
`;

Deno.test("smtpmail --trace shows the STARTTLS upgrade and implicit TLS", async () => {
  await withTestCert(async (cert) => {
    await withSmtp([...tlsFlags(cert, true), "--trace"], async (server) => {
      const args = ["-c", PYTHON_TLS, String(server.port), String(implicitTlsPort(server)), cert.certFile];
      const run = await runWithInput("python3", args, encode(""));
      assert.equal(run.status.code, 0, run.stderr);
      await waitForClosedSessions(server, 2);
      const upgraded = sessionLines(server, 1);
      const at = upgraded.indexOf("C STARTTLS");
      assert.deepEqual(upgraded.slice(at, at + 6), [
        "C STARTTLS",
        "S 220 2.0.0 Ready to start TLS",
        "- TLS started",
        "- state connected",
        "C ehlo python.test",
        upgraded[at + 5],
      ]);
      assert.ok(upgraded.includes("C AUTH PLAIN ****"), upgraded.join("\n"));
      assert.deepEqual(sessionLines(server, 2).slice(0, 2), ["- connection from 127.0.0.1", "- TLS (implicit)"]);
      const notes = traceText(server).map(parseTraceText).filter((l) => l.line === "TLS started").map((l) => l.note);
      assert.deepEqual(notes, ["RFC 3207 4.2 TLS started: the session starts afresh under TLS: EHLO again"]);
      assert.ok(!(server.stdoutText() + server.stderrText()).includes(PASSWORD));
    });
  });
});

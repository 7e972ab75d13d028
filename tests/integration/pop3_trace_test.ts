/**
 * `popserver --trace` over real sockets: PASS and AUTH PLAIN masked in the
 * trace and absent from every log, the states AUTHORIZATION, TRANSACTION
 * and UPDATE through QUIT, a retrieved message shown by its first header
 * lines and size only, and the STLS upgrade in the JSON form.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { encode } from "../helpers/bytes.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { type Pop3Server, sendMessages, withMailServers } from "../helpers/pop3_server.ts";
import { runWithInput } from "../helpers/server_process.ts";
import { SEED_MAIL } from "../helpers/smtp_client.ts";
import { tlsFlags, withTestCert } from "../helpers/tls.ts";
import { parseTraceText, tracedLines, traceRecords, traceText, waitForClosedSessions } from "../helpers/trace.ts";

const b64 = (text: string) => Buffer.from(text).toString("base64");

const PASSWORD = "@dministr@tor";
const WRONG = "wrong-pass-456";

/** The traced lines of one session, `C line`, `S line` or `- event`. */
function sessionLines(server: Pop3Server, session: number): string[] {
  return tracedLines(traceText(server).map(parseTraceText).filter((l) => l.session === session));
}

Deno.test("popserver --trace masks PASS and AUTH PLAIN, and no trace or log line holds them", async () => {
  await withMailServers(["--trace"], async ({ pop3 }) => {
    const good = await Pop3Client.login(pop3.port, "Andrew", PASSWORD);
    await good.command("QUIT", "+OK");
    await good.close();
    const client = await Pop3Client.open(pop3.port);
    await client.command("USER Andrew", "+OK");
    await client.command(`PASS ${WRONG}`, "-ERR");
    assert.equal(await client.command("AUTH PLAIN"), "+ ");
    await client.command(b64(`\0Andrew\0${WRONG}`), "-ERR");
    await client.command(`AUTH PLAIN ${b64(`\0Andrew\0${PASSWORD}`)}`, "+OK");
    await client.command("QUIT", "+OK");
    await client.close();
    await waitForClosedSessions(pop3, 2);
    const everything = pop3.stdoutText() + pop3.stderrText();
    for (const secret of [PASSWORD, WRONG, b64(`\0Andrew\0${WRONG}`), b64(`\0Andrew\0${PASSWORD}`)]) {
      assert.ok(!everything.includes(secret), `${secret} is in the output`);
    }
    assert.ok(sessionLines(pop3, 1).includes("C PASS ****"));
    const lines = sessionLines(pop3, 2);
    assert.deepEqual(lines.slice(lines.indexOf("C USER Andrew"), lines.indexOf("C QUIT")), [
      "C USER Andrew",
      "S +OK Send your password",
      "C PASS ****",
      "S -ERR [AUTH] Invalid user name or password",
      "C AUTH PLAIN",
      "S +",
      "C ****",
      "S -ERR [AUTH] Invalid user name or password",
      "C AUTH PLAIN ****",
      "S +OK Andrew's maildrop has 0 messages (0 octets)",
      "- state TRANSACTION",
    ]);
  });
});

Deno.test("popserver --trace shows AUTHORIZATION, TRANSACTION and UPDATE through QUIT, and a message in brief", async () => {
  await withMailServers(["--trace"], async ({ smtp, pop3 }) => {
    const secret = "From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: secret\r\n\r\nBODY-SECRET\r\n";
    await sendMessages(smtp.port, [secret, SEED_MAIL]);
    const quitter = await Pop3Client.open(pop3.port);
    await quitter.command("QUIT", "+OK");
    await quitter.close();
    const client = await Pop3Client.login(pop3.port, "Andrew");
    const ok = await client.command("RETR 1", "+OK");
    await client.body();
    await client.command("DELE 1", "+OK");
    await client.command("QUIT", "+OK");
    await client.close();
    await waitForClosedSessions(pop3, 2);
    assert.deepEqual(sessionLines(pop3, 1), [
      "- connection from 127.0.0.1",
      sessionLines(pop3, 1)[1],
      "- state AUTHORIZATION",
      "C QUIT",
      sessionLines(pop3, 1)[4],
      "- connection closed",
    ]);
    const lines = sessionLines(pop3, 2);
    const octets = /^\+OK (\d+) octets$/.exec(ok)![1];
    const retr = lines.indexOf("C RETR 1");
    assert.deepEqual(lines.slice(retr, retr + 8), [
      "C RETR 1",
      `S ${ok}`,
      "S From: stallings@localhost",
      "S To: andrew@localhost",
      "S Subject: secret",
      lines[retr + 5],
      `S [message: ${octets} bytes; only its first header lines shown]`,
      "S .",
    ]);
    assert.match(lines[retr + 5], /^S Received: from client\.test /);
    assert.deepEqual(lines.filter((l) => l.startsWith("- state")), [
      "- state AUTHORIZATION",
      "- state TRANSACTION",
      "- state UPDATE",
    ]);
    const quit = lines.indexOf("C QUIT");
    assert.deepEqual(lines.slice(quit), [
      "C QUIT",
      "- state UPDATE",
      lines[quit + 2],
      "- connection closed",
    ]);
    assert.match(lines[quit + 2], /^S \+OK \S+ POP3 server signing off \(1 message left\)$/);
    assert.ok(!pop3.stdoutText().includes("BODY-SECRET"));
  });
});

const POPLIB_STLS = `
import poplib, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
p = poplib.POP3("127.0.0.1", port, timeout=5)
p.stls(context=ssl.create_default_context(cafile=cafile))
p.user("Andrew")
p.pass_("${PASSWORD}")
p.quit()
`;

Deno.test("popserver --trace-format json shows the STLS upgrade, one object per line", async () => {
  await withTestCert(async (cert) => {
    await withMailServers([...tlsFlags(cert), "--trace", "--trace-format", "json"], async ({ pop3 }) => {
      const run = await runWithInput("python3", ["-c", POPLIB_STLS, String(pop3.port), cert.certFile], encode(""));
      assert.equal(run.status.code, 0, run.stderr);
      await waitForClosedSessions(pop3, 1);
      const objects = pop3.stdoutText().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
      assert.ok(objects.length > 10);
      for (const o of objects) {
        assert.deepEqual(Object.keys(o), ["time", "protocol", "session", "direction", "line", "note"]);
      }
      const lines = tracedLines(traceRecords(pop3));
      const at = lines.indexOf("C STLS");
      assert.deepEqual(lines.slice(at, at + 4), [
        "C STLS",
        "S +OK Begin TLS negotiation",
        "- TLS started",
        "C USER Andrew",
      ]);
      assert.ok(lines.includes("C PASS ****"));
      assert.ok(!(pop3.stdoutText() + pop3.stderrText()).includes(PASSWORD));
    });
  });
});

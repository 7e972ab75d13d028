/**
 * The POP3 client as transcripts against an in-memory server: login,
 * STAT, LIST n, TOP (else RETR, and in batches) and RETR with dot-stuffing removed, DELE, QUIT, errors,
 * the login check in one batch, and what Manage Mail says when the session breaks with mails marked.
 */

import assert from "node:assert/strict";
import { ClientError } from "../../lib/client/connection.ts";
import { manageMail } from "../../lib/client/manage.ts";
import { Pop3Client, Pop3Error } from "../../lib/client/pop3_client.ts";
import { ConsoleInput } from "../../lib/client/terminal.ts";
import { CapturedOutput, pipedText } from "../helpers/client_io.ts";
import { FakeTransport } from "../helpers/fake_transport.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("Pop3Client logs in, lists, fetches headers and messages, deletes and quits", async (t) => {
  const server = new FakeTransport([
    { s: ["+OK ready"] },
    { c: "USER Andrew", s: ["+OK Send your password"] },
    { c: "PASS @dministr@tor", s: ["+OK Andrew's maildrop has 2 messages"] },
    { c: "STAT", s: ["+OK 2 4120"] },
    { c: "TOP 3 0", s: ["+OK", "From: a@b", "Subject: s", "", "."] },
    { c: "RETR 3", s: ["+OK 40 octets", "From: a@b", "", "..hidden", "...", "..", "body", "."] },
    { c: "DELE 3", s: ["+OK Message 3 deleted"] },
    { c: "QUIT", s: ["+OK signing off (1 messages left)"] },
  ]);
  const client = await Pop3Client.open(server);
  await t.step("login", async () => {
    assert.deepEqual(await client.login("Andrew", "@dministr@tor"), {
      ok: true,
      line: "+OK Andrew's maildrop has 2 messages",
    });
  });
  await t.step("STAT counts the messages", async () => {
    assert.deepEqual(await client.stat(), { count: 2, octets: 4120 });
  });
  await t.step("TOP returns the header with CRLF line ends", async () => {
    assert.equal(text(await client.headers(3)), "From: a@b\r\nSubject: s\r\n\r\n");
  });
  await t.step("RETR removes dot-stuffing", async () => {
    assert.equal(text(await client.retrieve(3)), "From: a@b\r\n\r\n.hidden\r\n..\r\n.\r\nbody\r\n");
  });
  await t.step("DELE and QUIT return the server's lines", async () => {
    assert.deepEqual(await client.delete(3), { ok: true, line: "+OK Message 3 deleted" });
    assert.deepEqual(await client.quit(), { ok: true, line: "+OK signing off (1 messages left)" });
  });
  assert.ok(server.finished);
  assert.ok(server.closed);
});

Deno.test("Pop3Client takes headers from RETR once the server refuses TOP", async () => {
  const server = new FakeTransport([
    { s: ["+OK ready"] },
    { c: "TOP 1 0", s: ["-ERR unknown command"] },
    { c: "RETR 1", s: ["+OK", "Subject: one", "", "body", "."] },
    { c: "RETR 2", s: ["+OK", "Subject: two", "", "."] },
  ]);
  const client = await Pop3Client.open(server);
  assert.equal(text(await client.headers(1)), "Subject: one\r\n\r\nbody\r\n");
  assert.equal(text(await client.headers(2)), "Subject: two\r\n\r\n");
  assert.ok(server.finished);
});

Deno.test("Pop3Client.login stops at the first negative reply", async () => {
  const wrongUser = new FakeTransport([{ s: ["+OK"] }, { c: "USER nobody", s: ["-ERR no such user"] }]);
  const client = await Pop3Client.open(wrongUser);
  assert.deepEqual(await client.login("nobody", "x"), { ok: false, line: "-ERR no such user" });
  assert.ok(wrongUser.finished);
  const wrongPassword = new FakeTransport([
    { s: ["+OK"] },
    { c: "USER Andrew", s: ["+OK"] },
    { c: "PASS wrong", s: ["-ERR [AUTH] Invalid user name or password"] },
  ]);
  const second = await Pop3Client.open(wrongPassword);
  assert.deepEqual(await second.login("Andrew", "wrong"), {
    ok: false,
    line: "-ERR [AUTH] Invalid user name or password",
  });
});

Deno.test("Pop3Client.login sends nothing for input holding a line break", async () => {
  const server = new FakeTransport([{ s: ["+OK"] }]);
  const client = await Pop3Client.open(server);
  assert.equal((await client.login("Andrew", "x\r\nDELE 1")).ok, false);
  assert.ok(server.finished);
});

Deno.test("Pop3Client reports refusals and broken servers as ClientError", async (t) => {
  await t.step("negative greeting closes the connection", async () => {
    const server = new FakeTransport([{ s: ["-ERR [SYS/TEMP] Too many connections"] }]);
    await assert.rejects(
      Pop3Client.open(server),
      (e) => e instanceof ClientError && /Too many connections/.test(e.message),
    );
    assert.ok(server.closed);
  });
  await t.step("not a POP3 reply", async () => {
    await assert.rejects(Pop3Client.open(new FakeTransport([{ s: ["220 smtp here"] }])), /bad reply: 220 smtp here/);
  });
  await t.step("negative reply to STAT", async () => {
    const client = await Pop3Client.open(new FakeTransport([{ s: ["+OK"] }, { c: "STAT", s: ["-ERR not now"] }]));
    await assert.rejects(client.stat(), (e) => e instanceof Pop3Error && e.message.endsWith("STAT with: -ERR not now"));
  });
  await t.step("connection closed in the middle of RETR", async () => {
    const client = await Pop3Client.open(new FakeTransport([{ s: ["+OK"] }, { c: "RETR 1", s: ["+OK", "From: a@b"] }]));
    await assert.rejects(client.retrieve(1), /closed the connection during RETR 1/);
  });
  await t.step("a bad STAT or LIST reply", async () => {
    const client = await Pop3Client.open(
      new FakeTransport([{ s: ["+OK"] }, { c: "STAT", s: ["+OK one two"] }, { c: "LIST 1", s: ["+OK 1"] }]),
    );
    await assert.rejects(client.stat(), /bad STAT reply: \+OK one two/);
    await assert.rejects(client.size(1), /bad LIST reply: \+OK 1/);
  });
});

Deno.test("manageMail says that marked mails may not be deleted when the session breaks before QUIT", async () => {
  const server = new FakeTransport([
    { s: ["+OK ready"] },
    { c: "CAPA", s: ["-ERR unknown command"] },
    { c: "USER Andrew", s: ["+OK"] },
    { c: "PASS @dministr@tor", s: ["+OK 2 messages"] },
    { c: "STAT", s: ["+OK 2 80"] },
    { c: "TOP 1 0", s: ["+OK", "Subject: one", "", "."] },
    { c: "TOP 2 0", s: ["+OK", "Subject: two", "", "."] },
    { c: "LIST 1", s: ["+OK 1 40"] },
    { c: "RETR 1", s: ["+OK", "Subject: one", "", "."] },
    { c: "DELE 1", s: ["+OK"] },
  ]);
  const screen = new CapturedOutput();
  const input = new ConsoleInput({ source: pipedText("1\nd\n1\n"), screen });
  await assert.rejects(
    manageMail({
      input,
      output: screen,
      connect: () => Promise.resolve(server),
      pop3: { host: "127.0.0.1", port: 110, name: "POP3 server" },
      credentials: { user: "Andrew", password: "@dministr@tor" },
      timeZone: "UTC",
    }),
    (error: Error) => {
      assert.ok(error instanceof ClientError);
      assert.equal(
        error.message,
        "The POP3 server closed the connection (1 mail marked for deletion may not have been deleted)",
      );
      return true;
    },
  );
  assert.match(screen.text, /Mail 1 deleted \(the server removes it when the session ends\)\./);
});

Deno.test("Pop3Client.checkLogin sends USER, PASS and QUIT in one batch when PIPELINING is offered", async (t) => {
  for (const pass of ["+OK maildrop has 2 messages", "-ERR [IN-USE] Maildrop is already locked by another session"]) {
    await t.step(pass.slice(0, 12), async () => {
      const server = new FakeTransport([
        { s: ["+OK ready"] },
        { c: "CAPA", s: ["+OK", "TOP", "PIPELINING", "."] },
        { c: ["USER Andrew", "PASS secret", "QUIT"], s: ["+OK", pass, "+OK signing off"] },
      ]);
      const client = await Pop3Client.open(server);
      assert.equal(await client.startTlsIfOffered(), false);
      assert.deepEqual(await client.checkLogin("Andrew", "secret"), { ok: pass.startsWith("+OK"), line: pass });
      assert.ok(server.finished);
      assert.ok(server.closed);
    });
  }
  await t.step("without PIPELINING, one command at a time", async () => {
    const server = new FakeTransport([
      { s: ["+OK ready"] },
      { c: "CAPA", s: ["-ERR unknown command"] },
      { c: "USER Andrew", s: ["-ERR no"] },
      { c: "QUIT", s: ["+OK bye"] },
    ]);
    const client = await Pop3Client.open(server);
    await client.startTlsIfOffered();
    assert.deepEqual(await client.checkLogin("Andrew", "secret"), { ok: false, line: "-ERR no" });
    assert.ok(server.finished);
  });
});

Deno.test("Pop3Client counts with STAT and fetches a page of headers in one batch of TOP", async () => {
  const server = new FakeTransport([
    { s: ["+OK ready"] },
    { c: "CAPA", s: ["+OK", "PIPELINING", "."] },
    { c: "STAT", s: ["+OK 3 120"] },
    { c: ["TOP 2 0", "TOP 3 0"], s: ["+OK", "Subject: two", "", ".", "+OK", "Subject: three", "", "."] },
    { c: "LIST 3", s: ["+OK 3 40"] },
    { c: "TOP 3 5", s: ["+OK", "Subject: three", "", "body", "."] },
  ]);
  const client = await Pop3Client.open(server);
  await client.startTlsIfOffered();
  assert.deepEqual(await client.stat(), { count: 3, octets: 120 });
  const headers = await client.headersOf([2, 3]);
  assert.deepEqual(headers.map(text), ["Subject: two\r\n\r\n", "Subject: three\r\n\r\n"]);
  assert.equal(await client.size(3), 40);
  assert.equal(text(await client.top(3, 5)), "Subject: three\r\n\r\nbody\r\n");
  assert.ok(server.finished);
});

Deno.test("Pop3Client.checkLogin returns the answer to PASS when the server closes instead of answering QUIT", async () => {
  const server = new FakeTransport([
    { s: ["+OK ready"] },
    { c: "CAPA", s: ["+OK", "PIPELINING", "."] },
    { c: ["USER Andrew", "PASS wrong", "QUIT"], s: ["+OK", "-ERR [AUTH] Invalid user name or password"] },
  ]);
  const client = await Pop3Client.open(server);
  await client.startTlsIfOffered();
  assert.deepEqual(await client.checkLogin("Andrew", "wrong"), {
    ok: false,
    line: "-ERR [AUTH] Invalid user name or password",
  });
});

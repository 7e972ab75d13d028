/**
 * popserver's command handling over a real socket: pipelined commands
 * (RFC 2449 PIPELINING), commands in the wrong state, bad arguments, CAPA,
 * and failed logins ([AUTH], the delay, the cap).
 */

import assert from "node:assert/strict";
import { assertBytesEqual, concat } from "../helpers/bytes.ts";
import { loadMessage } from "../helpers/load.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages, waitForSessions, withMailServers } from "../helpers/pop3_server.ts";

/** A command, whether its positive reply is multi-line, and whether it must fail. */
interface Pipelined {
  c: string;
  multi: boolean;
  err?: true;
}

Deno.test("popserver answers many pipelined commands in one write, one reply each, in order", async () => {
  await withMailServers([], async ({ smtp, pop3 }) => {
    const count = 30;
    await sendMessages(
      smtp.port,
      Array.from({ length: count }, (_, m) => loadMessage(2, m, m % 10 === 0 ? 300_000 : 0)),
    );
    const reference = await Pop3Client.login(pop3.port, "Andrew");
    const messages: Uint8Array[] = [];
    try {
      for (let n = 1; n <= count; n++) messages.push((await reference.retr(n)).message);
      await reference.quit();
    } finally {
      await reference.close();
    }
    const commands: Pipelined[] = [
      { c: "STAT", multi: false },
      { c: "LIST", multi: true },
      { c: "UIDL", multi: true },
      ...messages.flatMap((_, i) => [{ c: `RETR ${i + 1}`, multi: true }, { c: "NOOP", multi: false }]),
      { c: `LIST ${count}`, multi: false },
      { c: "TOP 1 0", multi: true },
      { c: "DELE 1", multi: false },
      { c: "RETR 1", multi: true, err: true },
      { c: "RSET", multi: false },
      { c: "CAPA", multi: true },
      { c: "QUIT", multi: false },
    ];
    const client = await Pop3Client.open(pop3.port);
    try {
      const login = "USER Andrew\r\nPASS @dministr@tor\r\n";
      await client.write(login + commands.map(({ c }) => `${c}\r\n`).join(""));
      client.ok(await client.line());
      client.ok(await client.line());
      let total = 0;
      for (const { c, multi, err } of commands) {
        const status = await client.line();
        assert.match(status, err ? /^-ERR / : /^\+OK/, `reply to ${c}: ${status}`);
        const body = multi && !err ? await client.body() : undefined;
        const retr = /^RETR (\d+)$/.exec(c);
        if (retr && body) {
          assertBytesEqual(body, messages[Number(retr[1]) - 1], c);
          total += body.length;
        }
      }
      assert.equal(await client.lineBytes(), null, "nothing after the reply to QUIT");
      assert.equal(total, concat(messages).length);
    } finally {
      await client.close();
    }
  });
});

/** Commands and the start of their one-line reply, in one session. */
const WRONG_STATE: [string, RegExp][] = [
  ["STAT", /^-ERR /],
  ["LIST", /^-ERR /],
  ["UIDL 1", /^-ERR /],
  ["RETR 1", /^-ERR /],
  ["TOP 1 1", /^-ERR /],
  ["DELE 1", /^-ERR /],
  ["RSET", /^-ERR /],
  ["NOOP", /^-ERR /],
  ["PASS @dministr@tor", /^-ERR /],
  ["FROB", /^-ERR /],
  ["", /^-ERR /],
  ["USER", /^-ERR /],
  ["USER Andrew", /^\+OK/],
  ["STAT", /^-ERR /],
  ["PASS @dministr@tor", /^\+OK/],
  ["USER Andrew", /^-ERR /],
  ["PASS @dministr@tor", /^-ERR /],
  ["FROB 1", /^-ERR /],
  ["RETR 0", /^-ERR /],
  ["RETR 999", /^-ERR /],
  ["RETR abc", /^-ERR /],
  ["RETR", /^-ERR /],
  ["RETR 1 2", /^-ERR /],
  ["RETR -1", /^-ERR /],
  ["RETR 99999999999999999999", /^-ERR /],
  ["DELE 0", /^-ERR /],
  ["DELE 3", /^-ERR /],
  ["LIST 0", /^-ERR /],
  ["LIST 3", /^-ERR /],
  ["UIDL x", /^-ERR /],
  ["TOP 1", /^-ERR /],
  ["STAT 1", /^-ERR /],
  ["retr 2", /^\+OK \d+ octets$/],
  ["stat", /^\+OK 2 \d+$/],
  ["NOOP", /^\+OK/],
];

Deno.test("popserver answers commands in the wrong state, unknown commands and bad arguments with -ERR", async () => {
  // More errors than the default --max-errors (20) allows in one session.
  await withMailServers(["--max-errors", "50"], async ({ smtp, pop3 }) => {
    await sendMessages(smtp.port, [loadMessage(1, 0), loadMessage(1, 1)]);
    const client = await Pop3Client.open(pop3.port);
    try {
      for (const [command, reply] of WRONG_STATE) {
        const got = await client.command(command);
        assert.match(got, reply, `reply to ${JSON.stringify(command)}`);
        if (command === "retr 2") await client.body();
      }
      assert.match(await client.command(`NOOP ${"x".repeat(300)}`), /^-ERR /, "a command line over 255 octets");
      assert.match(await client.command("STAT"), /^\+OK 2 \d+$/, "the session goes on after a long line");
      await client.quit();
    } finally {
      await client.close();
    }
  });
});

Deno.test("popserver lists its capabilities in CAPA before and after login, and QUIT before login ends the session", async () => {
  await withMailServers([], async ({ pop3 }) => {
    const client = await Pop3Client.open(pop3.port);
    try {
      const expected = ["TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"];
      await client.command("CAPA", "+OK");
      const before = await client.bodyLines();
      for (const cap of expected) assert.ok(before.includes(cap), `${cap} in ${before}`);
      assert.ok(before.some((line) => line.startsWith("IMPLEMENTATION ")), `${before}`);
      await client.command("USER Stallings", "+OK");
      await client.command("PASS network$security", "+OK");
      await client.command("CAPA", "+OK");
      assert.deepEqual(await client.bodyLines(), before);
    } finally {
      await client.close();
    }
    const early = await Pop3Client.open(pop3.port);
    try {
      await early.quit();
    } finally {
      await early.close();
    }
  });
});

Deno.test("popserver answers a failed login [AUTH] after a delay and closes after --max-failed-logins", async () => {
  await withMailServers(["--failed-login-delay", "100", "--max-failed-logins", "3"], async ({ pop3 }) => {
    const client = await Pop3Client.open(pop3.port);
    try {
      const wrong = ["@Dministr@tor", "@dministr@tor ", " @dministr@tor"];
      for (const [i, password] of wrong.entries()) {
        await client.command("USER andrew", "+OK");
        const started = Date.now();
        assert.match(await client.command(`PASS ${password}`), /^-ERR \[AUTH\] /, JSON.stringify(password));
        const waited = Date.now() - started;
        assert.ok(waited >= 90 * 2 ** i, `failure ${i + 1} answered after ${waited} ms`);
      }
      assert.equal(await client.readToEnd(2000), "", "closed after the third failure");
    } finally {
      await client.close();
    }
    const [log] = await waitForSessions(pop3, 1);
    assert.match(log, /failed_logins=3 .*outcome=closed after failed logins$/);
    const nobody = await Pop3Client.open(pop3.port);
    try {
      await nobody.command("USER nobody", "+OK");
      assert.match(await nobody.command("PASS @dministr@tor"), /^-ERR \[AUTH\] /, "an unknown user");
      await nobody.command("USER Andrew", "+OK");
      await nobody.command("PASS @dministr@tor", "+OK");
      await nobody.quit();
    } finally {
      await nobody.close();
    }
    assert.doesNotMatch(pop3.stderrText(), /dministr/, "passwords are not logged");
  });
});

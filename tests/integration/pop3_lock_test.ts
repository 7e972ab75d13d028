/**
 * popserver's maildrop lock (RFC 1939 §8, RFC 2449 [IN-USE]): one session
 * per maildrop, whatever case the name is typed in, freed by QUIT, by a
 * dropped connection and by the death of the server process.
 */

import assert from "node:assert/strict";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages, startPop3, waitForSessions, withMailServers } from "../helpers/pop3_server.ts";

const IN_USE = /^-ERR \[IN-USE\] /;

/** Opens a connection and sends USER and PASS; returns the client and the reply to PASS. */
async function tryLogin(port: number, user: string, password: string): Promise<{ client: Pop3Client; reply: string }> {
  const client = await Pop3Client.open(port);
  try {
    await client.command(`USER ${user}`, "+OK");
    return { client, reply: await client.command(`PASS ${password}`) };
  } catch (error) {
    await client.close();
    throw error;
  }
}

Deno.test("popserver refuses a second session on a maildrop with [IN-USE], in any case, until the first QUITs", async () => {
  await withMailServers([], async ({ smtp, pop3 }) => {
    await sendMessages(smtp.port, ["Subject: one\r\n\r\nbody\r\n"]);
    const first = await Pop3Client.login(pop3.port, "Andrew");
    const others: Pop3Client[] = [];
    try {
      for (const name of ["Andrew", "andrew", "ANDREW", "aNdReW"]) {
        const { client, reply } = await tryLogin(pop3.port, name, "@dministr@tor");
        others.push(client);
        assert.match(reply, IN_USE, `${name} while the maildrop is locked`);
      }
      const wrong = await tryLogin(pop3.port, "andrew", "wrong");
      others.push(wrong.client);
      assert.match(wrong.reply, /^-ERR \[AUTH\] /, "a wrong password is an [AUTH] error, locked or not");
      const stallings = await Pop3Client.login(pop3.port, "Stallings");
      others.push(stallings);
      assert.equal(await stallings.command("STAT"), "+OK 0 0", "another maildrop is not locked");
      assert.match(await first.command("STAT"), /^\+OK 1 \d+$/, "the first session goes on");
      await first.quit();
      // The refused connection stays in AUTHORIZATION and may try again.
      await others[1].command("USER andrew", "+OK");
      await others[1].command("PASS @dministr@tor", "+OK");
      assert.match(await others[1].command("STAT"), /^\+OK 1 \d+$/);
      await others[1].quit();
    } finally {
      await first.close();
      for (const client of others) await client.close();
    }
  });
});

Deno.test("popserver gives the lock to exactly one of many simultaneous logins", async () => {
  await withMailServers([], async ({ pop3 }) => {
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, i) => tryLogin(pop3.port, i % 2 ? "andrew" : "Andrew", "@dministr@tor")),
    );
    try {
      const replies = attempts.map((a) => a.reply);
      assert.equal(replies.filter((r) => r.startsWith("+OK")).length, 1, JSON.stringify(replies));
      assert.equal(replies.filter((r) => IN_USE.test(r)).length, 7, JSON.stringify(replies));
    } finally {
      for (const { client } of attempts) await client.close();
    }
  });
});

Deno.test("popserver frees the maildrop lock when the client drops the connection", async () => {
  await withMailServers([], async ({ pop3 }) => {
    const first = await Pop3Client.login(pop3.port, "Fourouzan");
    await first.close();
    await waitForSessions(pop3, 1);
    const second = await Pop3Client.login(pop3.port, "fourouzan");
    try {
      assert.equal(await second.command("STAT"), "+OK 0 0");
      await second.quit();
    } finally {
      await second.close();
    }
  });
});

Deno.test("popserver frees the maildrop lock when the server is killed with SIGKILL and restarted", async () => {
  await withMailServers([], async ({ smtp, pop3, temp }) => {
    await sendMessages(smtp.port, ["Subject: kept\r\n\r\nbody\r\n"]);
    const held = await Pop3Client.login(pop3.port, "Andrew");
    try {
      await held.command("DELE 1", "+OK");
      const status = await pop3.kill();
      assert.equal(status.signal, "SIGKILL");
      assert.equal(await held.readToEnd(5000), "", "the connection ends with the process, without a reply");
    } finally {
      await held.close();
    }
    const restarted = await startPop3(temp);
    try {
      const client = await Pop3Client.login(restarted.port, "ANDREW");
      try {
        assert.match(await client.command("STAT"), /^\+OK 1 \d+$/, "the killed session deleted nothing");
        await client.quit();
      } finally {
        await client.close();
      }
    } finally {
      await restarted.stop();
    }
  });
});

/**
 * Several front-ends on one PostgreSQL database, as separate processes
 * over real sockets: mail sent through two SMTP servers is stored once
 * each and read back through two POP3 servers with the same UIDLs; a POP3
 * session on one front-end keeps the mailbox from the other; a killed
 * front-end's lock is free again; every message acknowledged by an SMTP
 * server killed under load, or while the database restarts, is there.
 */

import assert from "node:assert/strict";
import { peer, peerTest } from "../helpers/peers.ts";
import { Pop3Client, uidlsOf } from "../helpers/pop3_client.ts";
import { type Pop3Server, startPop3 } from "../helpers/pop3_server.ts";
import { type PrivateCluster, startPostgres } from "../helpers/postgres.ts";
import { makeTempRoot, type ServerProcess, sleep, type TempRoot } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { startSmtp } from "../helpers/smtp_server.ts";

const POSTGRES = peer("postgresql");

/** A cluster, a data root (for userlogincred.txt) and the URL front-ends are given. */
interface Setup {
  cluster: PrivateCluster;
  temp: TempRoot;
  url: string;
  started: ServerProcess[];
}

/** Runs `fn` with a fresh cluster and root; stops every server it started, then the cluster. */
async function withDatabase(fn: (setup: Setup) => Promise<void>): Promise<void> {
  const cluster = await startPostgres();
  const temp = await makeTempRoot();
  const setup = { cluster, temp, url: cluster.url, started: [] as ServerProcess[] };
  try {
    await fn(setup);
  } finally {
    for (const server of setup.started) await server.kill();
    await temp.remove();
    await cluster.remove();
  }
}

async function smtpFrontEnd(setup: Setup): Promise<ServerProcess> {
  const server = await startSmtp({ root: setup.temp, flags: ["--store", setup.url] });
  setup.started.push(server);
  return server;
}

async function pop3FrontEnd(setup: Setup): Promise<Pop3Server> {
  const server = await startPop3(setup.temp, ["--store", setup.url]);
  setup.started.push(server);
  return server;
}

/** Sends `count` messages in one session, returning the id of each `250` and the bodies; stops at the first refusal. */
async function send(port: number, tag: string, count: number): Promise<{ ids: string[]; refusals: number }> {
  const client = await SmtpClient.open(port);
  const ids: string[] = [];
  let refusals = 0;
  try {
    for (let i = 0; i < count; i++) {
      const data = `Subject: ${tag} ${i}\r\n\r\n${tag} message ${i}\r\n.dot line\r\n`;
      const reply = await client.send({ from: "x@example.org", to: ["andrew@localhost"], data });
      const queued = /^250 2\.0\.0 OK queued as (\S+)$/.exec(reply.last);
      if (queued) ids.push(queued[1]);
      else refusals++;
    }
    await client.quit();
  } catch {
    // The server went away: what it acknowledged so far is what counts.
  } finally {
    await client.close();
  }
  return { ids, refusals };
}

/** UIDL of Andrew's maildrop on a POP3 server. */
function uidls(port: number): Promise<string[]> {
  return uidlsOf(port, "Andrew");
}

peerTest(
  POSTGRES,
  "Two SMTP and two POP3 front-ends share one database: each message once, the same UIDLs",
  async () => {
    await withDatabase(async (setup) => {
      const smtp = await Promise.all([smtpFrontEnd(setup), smtpFrontEnd(setup)]);
      const pop3 = await Promise.all([pop3FrontEnd(setup), pop3FrontEnd(setup)]);
      const sent = await Promise.all(
        Array.from({ length: 20 }, (_, s) => send(smtp[s % 2].port, `sender${s}`, 50)),
      );
      const ids = sent.flatMap((result) => result.ids);
      assert.equal(ids.length, 1000);
      assert.equal(new Set(ids).size, 1000);
      const [one, two] = [await uidls(pop3[0].port), await uidls(pop3[1].port)];
      assert.deepEqual(one, two, "both POP3 front-ends list the same UIDLs");
      assert.deepEqual([...one].sort(), [...ids].sort(), "every acknowledged message, once");

      const reader = await Pop3Client.login(pop3[1].port, "Andrew");
      const { message } = await reader.retr(one.length);
      assert.match(
        new TextDecoder().decode(message),
        /^Received: .+\r\nSubject: sender\d+ \d+\r\n\r\nsender\d+ message \d+\r\n\.dot line\r\n$/,
      );
      const other = await Pop3Client.open(pop3[0].port);
      await other.command("USER Andrew", "+OK");
      assert.match(await other.command("PASS @dministr@tor", "-ERR"), /^-ERR \[IN-USE\] /, "locked across front-ends");
      await other.close();
      await reader.command("DELE 1", "+OK");
      await reader.command("QUIT", "+OK");
      await reader.close();
      assert.deepEqual(await uidls(pop3[0].port), one.slice(1), "the deletion is seen on the other front-end");
    });
  },
);

peerTest(POSTGRES, "A killed POP3 front-end's lock is free again at once on the other", async () => {
  await withDatabase(async (setup) => {
    const [holder, other] = await Promise.all([pop3FrontEnd(setup), pop3FrontEnd(setup)]);
    const session = await Pop3Client.login(holder.port, "Andrew");
    await holder.kill();
    const start = Date.now();
    let waited = 0;
    for (;;) {
      const client = await Pop3Client.open(other.port);
      await client.command("USER Andrew", "+OK");
      const reply = await client.command("PASS @dministr@tor");
      await client.close();
      if (reply.startsWith("+OK")) break;
      waited = Date.now() - start;
      assert.ok(waited < 30_000, `still locked after ${waited} ms: ${reply}`);
      await sleep(100);
    }
    console.log(`lock free ${Date.now() - start} ms after kill -9 of its front-end`);
    await session.close();
  });
});

peerTest(POSTGRES, "Every 250 survives an SMTP front-end killed under load, and a database restart", async () => {
  await withDatabase(async (setup) => {
    const [victim, survivor] = await Promise.all([smtpFrontEnd(setup), smtpFrontEnd(setup)]);
    const pop3 = await pop3FrontEnd(setup);
    const load = Promise.all(Array.from({ length: 6 }, (_, s) => send(victim.port, `victim${s}`, 200)));
    await sleep(500);
    await victim.kill();
    const beforeKill = (await load).flatMap((r) => r.ids);

    const steady = Promise.all(Array.from({ length: 4 }, (_, s) => send(survivor.port, `steady${s}`, 150)));
    await sleep(300);
    await setup.cluster.halt();
    await sleep(500);
    await setup.cluster.start();
    const during = await steady;
    const acknowledged = [...beforeKill, ...during.flatMap((r) => r.ids)];
    console.log(
      `acknowledged ${beforeKill.length} before the kill, ${acknowledged.length - beforeKill.length} around the ` +
        `restart, ${during.reduce((n, r) => n + r.refusals, 0)} temporary failures`,
    );
    const after = await send(survivor.port, "after", 5);
    assert.equal(after.ids.length, 5, "the front-end reconnected by itself");
    acknowledged.push(...after.ids);
    const stored = new Set(await uidls(pop3.port));
    const lost = acknowledged.filter((id) => !stored.has(id));
    assert.deepEqual(lost, [], "no acknowledged message is lost");
    assert.ok(beforeKill.length > 0);
  });
});

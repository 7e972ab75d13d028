/**
 * Clients that hold connections without doing anything, from a handful of
 * loopback addresses, against each server: 50 that send one byte a second
 * (slowloris) filling --max-connections 50, and 100 that send a complete,
 * valid command every second (NOOP; CAPA before login) filling the default
 * caps (100 at once, 20 per address from 5 addresses). A legitimate client
 * from another address is served all the same: it takes the place of the
 * session longest without progress of the most represented address. The
 * command tricklers are closed at --no-progress-timeout, for all their
 * activity.
 */

import assert from "node:assert/strict";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { POP3_READY } from "../helpers/pop3_server.ts";
import { makeTempRoot, type ServerProcess, sleep, spawnServer } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { SMTP_READY } from "../helpers/smtp_server.ts";
import { sourceAddress, SourceClient } from "../helpers/source_client.ts";

const ADDRESSES = 5;

/** Sends each client's `text` over and over, `octetsPerTick` octets every `tickMs`, until `stop` is called. */
function trickle(clients: SourceClient[], text: string, octetsPerTick: number, tickMs: number): () => Promise<void> {
  let at = 0;
  let writes = Promise.resolve();
  const timer = setInterval(() => {
    const piece = (text + text).slice(at, at + octetsPerTick);
    at = (at + octetsPerTick) % text.length;
    writes = writes.then(() => Promise.all(clients.map((c) => c.write(piece)))).then(() => {});
  }, tickMs);
  return async () => {
    clearInterval(timer);
    await writes;
  };
}

/** Opens `count` connections from `ADDRESSES` addresses and waits for each one's greeting. */
async function openHeld(port: number, count: number, greeting: RegExp): Promise<SourceClient[]> {
  const clients: SourceClient[] = [];
  for (let n = 0; n < count; n++) clients.push(await SourceClient.connect(port, sourceAddress(n, ADDRESSES)));
  await Promise.all(clients.map((c) => c.waitFor(greeting)));
  return clients;
}

const SERVERS = [
  {
    script: "smtpmail.ts",
    ready: SMTP_READY,
    greeting: /^220 /,
    command: "NOOP\r\n",
    noProgress: /\r\n421 4\.4\.2 \S+ Too long without a message or login, closing connection\r\n$/,
    evicted: /\r\n421 4\.7\.0 \S+ Too many connections from your address, closing connection\r\n$/,
    legitimate: smtpDelivery,
  },
  {
    script: "popserver.ts",
    ready: POP3_READY,
    greeting: /^\+OK /,
    command: "CAPA\r\n",
    noProgress: /\r\n-ERR \[SYS\/TEMP\] Too long without logging in, closing connection\r\n$/,
    evicted: /\r\n-ERR \[SYS\/TEMP\] Too many connections from your address, closing connection\r\n$/,
    legitimate: pop3Login,
  },
];

/** A legitimate SMTP session: one message delivered. */
async function smtpDelivery(port: number): Promise<void> {
  const client = await SmtpClient.open(port);
  try {
    const data = "Subject: legitimate\r\n\r\nthrough the crowd\r\n";
    assert.match((await client.send({ from: "stallings@localhost", to: ["andrew@localhost"], data })).last, /^250 /);
    await client.quit();
  } finally {
    await client.close();
  }
}

/** A legitimate POP3 session: login, STAT, QUIT. */
async function pop3Login(port: number): Promise<void> {
  const client = await Pop3Client.login(port, "Andrew");
  try {
    await client.command("STAT", "+OK");
    await client.quit();
  } finally {
    await client.close();
  }
}

/** Runs `fn` against a server started plainly with `flags` on a fresh root; closes `clients` it leaves. */
async function withServer(
  server: (typeof SERVERS)[number],
  flags: string[],
  fn: (process: ServerProcess, clients: SourceClient[]) => Promise<void>,
): Promise<void> {
  const temp = await makeTempRoot();
  const clients: SourceClient[] = [];
  try {
    const process = await spawnServer({
      script: server.script,
      args: ["0", "--root", temp.root, "--failed-login-delay", "1", ...flags],
      cwd: temp.dir,
      ready: server.ready,
    });
    try {
      await fn(process, clients);
    } finally {
      await Promise.all(clients.map((c) => c.destroy()));
      await process.stop();
    }
  } finally {
    await temp.remove();
  }
}

for (const server of SERVERS) {
  Deno.test(`${server.script}: 50 slowloris clients filling --max-connections 50 cannot keep a client out`, async () => {
    await withServer(server, ["--max-connections", "50"], async (process, clients) => {
      clients.push(...await openHeld(process.port, 50, server.greeting));
      const stop = trickle(clients, server.command, 1, 1000);
      try {
        await sleep(3000);
        const started = Date.now();
        for (let i = 0; i < 3; i++) await server.legitimate(process.port);
        const evicted = clients.filter((c) => server.evicted.test(c.text)).length;
        console.log(
          `${server.script}: 3 legitimate sessions in ${Date.now() - started} ms among 50 slowloris clients ` +
            `(${evicted} evicted)`,
        );
        // The first takes a slowloris client's place; the next ones, the place the one before left (or, if
        // that one is not yet counted out, another slowloris client's).
        assert.ok(evicted >= 1 && evicted <= 3, `${evicted} slowloris clients made room for 3 sessions`);
      } finally {
        await stop();
      }
    });
  });

  Deno.test(`${server.script}: 100 clients trickling valid commands from 5 addresses are served out`, async () => {
    await withServer(server, ["--no-progress-timeout", "6"], async (process, clients) => {
      const opened = Date.now();
      clients.push(...await openHeld(process.port, 100, server.greeting));
      const stop = trickle(clients, server.command, server.command.length, 1000);
      try {
        await sleep(2000);
        await server.legitimate(process.port);
        const closed = await Promise.all(clients.map((c) => c.waitClosed(15_000)));
        const seconds = (Date.now() - opened) / 1000;
        const evicted = clients.filter((c) => server.evicted.test(c.text)).length;
        const stalled = clients.filter((c) => server.noProgress.test(c.text)).length;
        console.log(
          `${server.script}: legitimate client served among 100 tricklers; ${evicted} evicted, ${stalled} closed ` +
            `for no progress; all gone ${seconds.toFixed(1)} s after opening (--no-progress-timeout 6)`,
        );
        assert.ok(closed.every(Boolean), "every trickler was closed");
        assert.equal(evicted, 1);
        assert.equal(stalled, 99);
      } finally {
        await stop();
      }
    });
  });
}

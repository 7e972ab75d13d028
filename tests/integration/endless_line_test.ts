/**
 * Clients that send a line without end, in every phase of both protocols
 * (SMTP: before EHLO, after it, in an AUTH exchange and in DATA; POP3:
 * before and after login). Each is cut off with the refusal of that phase
 * and the connection closed once it has sent 64 KiB without a line end,
 * whatever it sends after; meanwhile another client is served; and the
 * server's peak RSS (VmHWM in /proc/PID/status) grows by under 16 MiB over
 * all of it. Each server runs twice: as its deno.json task starts it (V8
 * flags capping the heap at 128 MB) and plainly, with no V8 flags, so the
 * bound must come from the code.
 */

import assert from "node:assert/strict";
import { LineClient } from "../helpers/line_client.ts";
import { passwordOf, Pop3Client } from "../helpers/pop3_client.ts";
import { POP3_READY } from "../helpers/pop3_server.ts";
import { makeTempRoot, procMemory, REPO_ROOT, SEED_USERS, spawnServer } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { SMTP_READY } from "../helpers/smtp_server.ts";

const MiB = 1024 * 1024;
/** The most a flooding client may send, far beyond where it must be cut off. */
const FLOOD_BYTES = 64 * MiB;
/** Clients flooding at once in each phase (one per seed user, so each POP3 flooder can hold a maildrop). */
const FLOODERS = SEED_USERS.length;
/** The bound on the growth of the server's peak RSS over all phases. */
const PEAK_GROWTH_CAP = 16 * MiB;

/** The V8 flags of a server task in deno.json. */
async function taskV8Flags(task: string): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/deno.json`));
  const flags = /--v8-flags=\S+/.exec(config.tasks[task]);
  assert.ok(flags, `deno.json task ${task} has --v8-flags`);
  return flags[0];
}

/**
 * Sends octets without a line end until the server closes the connection
 * (or `FLOOD_BYTES` have gone), reading meanwhile.
 *
 * @returns how much was sent, and everything the server sent before it closed
 */
async function floodUntilCut(conn: LineClient): Promise<{ sent: number; replies: string }> {
  let closed = false;
  const reading = conn.readToEnd(30_000).finally(() => closed = true);
  const chunk = new Uint8Array(64 * 1024).fill(0x41);
  let sent = 0;
  while (sent < FLOOD_BYTES && !closed) {
    if (!await conn.write(chunk).then(() => true, () => false)) break;
    sent += chunk.length;
  }
  return { sent, replies: await reading };
}

/** A phase: brings a new connection to it, and says what the server must answer the flood with. */
interface Phase {
  name: string;
  /** Opens the `n`th flooder's connection. */
  enter(port: number, n: number): Promise<LineClient>;
  replies: RegExp;
}

/** Runs `FLOODERS` floods of one phase at once, beside one ordinary session; returns the octets sent. */
async function floodPhase(port: number, phase: Phase, ordinary: (port: number) => Promise<void>): Promise<number> {
  const clients: LineClient[] = [];
  try {
    for (let n = 0; n < FLOODERS; n++) clients.push(await phase.enter(port, n));
    const [results] = await Promise.all([Promise.all(clients.map(floodUntilCut)), ordinary(port)]);
    for (const { sent, replies } of results) {
      assert.match(replies, phase.replies, `${phase.name}: after ${sent} octets`);
      assert.ok(sent < FLOOD_BYTES, `${phase.name}: the server never closed`);
    }
    return results.reduce((n, r) => n + r.sent, 0);
  } finally {
    for (const client of clients) await client.close();
  }
}

const SMTP_PHASES: Phase[] = [
  {
    name: "before EHLO",
    enter: async (port) => (await smtpAt(port, [])).conn,
    replies: /^500 5\.5\.0 Line too long\r\n421 4\.7\.0 \S+ Line too long, closing connection\r\n$/,
  },
  {
    name: "a command",
    enter: async (port) => (await smtpAt(port, [["EHLO flood.test", 250]])).conn,
    replies: /^500 5\.5\.0 Line too long\r\n421 4\.7\.0 \S+ Line too long, closing connection\r\n$/,
  },
  {
    name: "the AUTH exchange",
    enter: async (port) => (await smtpAt(port, [["EHLO flood.test", 250], ["AUTH PLAIN", 334]])).conn,
    replies: /^500 5\.5\.6 Authentication exchange line is too long\r\n421 4\.7\.0 \S+ Line too long/,
  },
  {
    name: "DATA",
    enter: async (port) => {
      const client = await smtpAt(port, [
        ["EHLO flood.test", 250],
        ["MAIL FROM:<stallings@localhost>", 250],
        ["RCPT TO:<andrew@localhost>", 250],
        ["DATA", 354],
      ]);
      await client.write("Subject: flood\r\n\r\n");
      return client.conn;
    },
    replies: /^500 5\.5\.0 Message has a line longer than 1000 octets\r\n421 4\.7\.0 \S+ Line too long/,
  },
];

/** Connects, reads the greeting and runs `commands`, each with its expected reply code. */
async function smtpAt(port: number, commands: [string, number][]): Promise<SmtpClient> {
  const client = await SmtpClient.connect(port);
  await client.expect(220);
  for (const [line, code] of commands) await client.command(line, code);
  return client;
}

/** An ordinary SMTP session that delivers one message. */
async function smtpMessage(port: number): Promise<void> {
  const client = await SmtpClient.open(port);
  try {
    const data = "Subject: meanwhile\r\n\r\nserved during a flood\r\n";
    assert.match((await client.send({ from: "stallings@localhost", to: ["fourouzan@localhost"], data })).last, /^250 /);
    await client.quit();
  } finally {
    await client.close();
  }
}

const POP3_PHASES: Phase[] = [
  {
    name: "before login",
    enter: (port) => pop3At(port),
    replies: /^-ERR Line too long, closing connection\r\n$/,
  },
  {
    name: "after login",
    enter: (port, n) => pop3At(port, SEED_USERS[n]),
    replies: /^-ERR Line too long, closing connection\r\n$/,
  },
];

/** A raw connection past the POP3 greeting, logged in as `user` when given. */
async function pop3At(port: number, user?: string): Promise<LineClient> {
  const conn = await LineClient.connect(port);
  assert.match((await conn.readLine())!, /^\+OK /);
  if (user === undefined) return conn;
  await conn.write(`USER ${user}\r\nPASS ${passwordOf(user)}\r\n`);
  assert.match((await conn.readLine())!, /^\+OK /);
  assert.match((await conn.readLine())!, /^\+OK /);
  return conn;
}

/** An ordinary POP3 session: CAPA, then QUIT. */
async function pop3Capa(port: number): Promise<void> {
  const client = await Pop3Client.open(port);
  try {
    await client.command("CAPA", "+OK");
    await client.bodyLines();
    await client.quit();
  } finally {
    await client.close();
  }
}

const SERVERS = [
  { task: "smtp", script: "smtpmail.ts", ready: SMTP_READY, phases: SMTP_PHASES, ordinary: smtpMessage },
  { task: "pop3", script: "popserver.ts", ready: POP3_READY, phases: POP3_PHASES, ordinary: pop3Capa },
];

for (const server of SERVERS) {
  for (const mode of ["as its task starts it", "plainly, without V8 flags"]) {
    Deno.test(`${server.script} cuts off a line without end in every phase, run ${mode}`, async () => {
      const temp = await makeTempRoot();
      try {
        const v8 = mode.startsWith("as") ? [await taskV8Flags(server.task)] : [];
        const process = await spawnServer({
          script: server.script,
          args: ["0", "--root", temp.root],
          cwd: temp.dir,
          ready: server.ready,
          permissions: ["--allow-all", ...v8],
        });
        try {
          const pid = process.process.pid;
          for (let i = 0; i < 3; i++) await server.ordinary(process.port);
          const before = await procMemory(pid, "VmHWM");
          const sent: string[] = [];
          for (const phase of server.phases) {
            const octets = await floodPhase(process.port, phase, server.ordinary);
            sent.push(`${phase.name} ${(octets / FLOODERS / 1024).toFixed(0)} KiB`);
          }
          const after = await procMemory(pid, "VmHWM");
          const grown = after - before;
          console.log(
            `${server.script} (${mode}): peak RSS ${(before / MiB).toFixed(1)} -> ${(after / MiB).toFixed(1)} MiB ` +
              `(+${(grown / MiB).toFixed(1)}); sent per flooder before the cut: ${sent.join(", ")}`,
          );
          assert.ok(grown < PEAK_GROWTH_CAP, `peak RSS grew ${(grown / MiB).toFixed(1)} MiB`);
        } finally {
          await process.stop();
        }
      } finally {
        await temp.remove();
      }
    });
  }
}

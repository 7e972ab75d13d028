/**
 * 1,000 connections opened at once from 50 loopback addresses and left
 * idle, against each server run plainly (no V8 flags): the growth of its
 * peak RSS, a legitimate client from another address served (or, at a
 * cap, refused cleanly, never left hanging), and every idle connection
 * dropped at the idle timeout. Once with the default caps (100 at once, 20
 * per address), once with room for all 1,000.
 */

import assert from "node:assert/strict";
import { LineClient } from "../helpers/line_client.ts";
import { POP3_READY } from "../helpers/pop3_server.ts";
import { makeTempRoot, procMemory, type ServerProcess, spawnServer } from "../helpers/server_process.ts";
import { SMTP_READY } from "../helpers/smtp_server.ts";
import { sourceAddress, SourceClient } from "../helpers/source_client.ts";

const MiB = 1024 * 1024;
const CONNECTIONS = 1000;
const ADDRESSES = 50;
const IDLE_TIMEOUT_S = 4;
/** The bound on the growth of the server's peak RSS. */
const PEAK_GROWTH_CAP = 64 * MiB;

const SERVERS = [
  {
    script: "smtpmail.ts",
    ready: SMTP_READY,
    greeting: /^220 /,
    refusal: /^421 4\.(3\.2|7\.0) /,
    idleGoodbye: /421 4\.4\.2 \S+ Idle timeout, closing connection\r\n$/,
    evicted: /\r\n421 4\.7\.0 \S+ Too many connections from your address, closing connection\r\n$/,
    session: ["EHLO legit.test", "QUIT"],
    served: /^220 .*\r\n250-[^]*221 2\.0\.0 /,
  },
  {
    script: "popserver.ts",
    ready: POP3_READY,
    greeting: /^\+OK /,
    refusal: /^-ERR \[SYS\/TEMP\] /,
    // RFC 1939 §3: the autologout timer closes without a reply.
    idleGoodbye: /^\+OK [^\r]*\r\n$/,
    evicted: /\r\n-ERR \[SYS\/TEMP\] Too many connections from your address, closing connection\r\n$/,
    session: ["CAPA", "QUIT"],
    served: /^\+OK .*\r\n\+OK [^]*\r\n\.\r\n\+OK /,
  },
];

/** Opens `CONNECTIONS` connections at once, `CONNECTIONS / ADDRESSES` from each source address. */
async function openAll(port: number): Promise<SourceClient[]> {
  const settled = await Promise.allSettled(
    Array.from({ length: CONNECTIONS }, (_, n) => SourceClient.connect(port, sourceAddress(n, ADDRESSES))),
  );
  const clients = settled.flatMap((s) => s.status === "fulfilled" ? [s.value] : []);
  assert.equal(clients.length, CONNECTIONS, "every connection was accepted by the kernel");
  return clients;
}

/** A legitimate session from 127.0.0.1: its whole exchange, or its refusal; never a hang. */
async function legitimate(port: number, commands: string[]): Promise<string> {
  const client = await LineClient.connect(port);
  try {
    const first = await client.readLine(5000);
    let text = `${first}\r\n`;
    for (const command of commands) {
      await client.write(`${command}\r\n`);
      text += await client.readLine(5000).catch(() => "") + "\r\n";
    }
    return text + await client.readToEnd(5000);
  } finally {
    await client.close();
  }
}

for (const server of SERVERS) {
  for (const caps of [[], ["--max-connections", "1000"]]) {
    const which = caps.length === 0 ? "the default caps" : "--max-connections 1000";
    Deno.test(`${server.script} holds ${CONNECTIONS} idle connections with ${which} and drops them on time`, async () => {
      const temp = await makeTempRoot();
      let process: ServerProcess | undefined;
      const clients: SourceClient[] = [];
      try {
        process = await spawnServer({
          script: server.script,
          args: ["0", "--root", temp.root, "--idle-timeout", String(IDLE_TIMEOUT_S), ...caps],
          cwd: temp.dir,
          ready: server.ready,
        });
        const pid = process.process.pid;
        const before = await procMemory(pid, "VmHWM");
        const opened = Date.now();
        clients.push(...await openAll(process.port));
        await Promise.all(clients.map((c) => c.waitFor(/\r\n/, 20_000)));
        const held = clients.filter((c) => server.greeting.test(c.text)).length;
        for (const c of clients) {
          if (!server.greeting.test(c.text)) assert.match(c.text, server.refusal, "a clean refusal");
        }
        const session = await legitimate(process.port, server.session);
        assert.ok(server.served.test(session) || server.refusal.test(session), `legitimate client: ${session}`);
        const peak = await procMemory(pid, "VmHWM");
        const closedAll = await Promise.all(clients.map((c) => c.waitClosed((IDLE_TIMEOUT_S + 10) * 1000)));
        const lateMs = Date.now() - opened;
        const idle = clients.filter((c) => server.greeting.test(c.text));
        // The legitimate client may have taken the place of one of them.
        const evicted = idle.filter((c) => server.evicted.test(c.text)).length;
        assert.ok(evicted <= 1, `${evicted} evicted for one newcomer`);
        for (const c of idle) if (!server.evicted.test(c.text)) assert.match(c.text, server.idleGoodbye);
        console.log(
          `${server.script} (${which}): ${held} held, ${CONNECTIONS - held} refused; peak RSS ` +
            `${(before / MiB).toFixed(1)} -> ${(peak / MiB).toFixed(1)} MiB (+${
              ((peak - before) / MiB).toFixed(1)
            }); ` +
            `legitimate client ${server.served.test(session) ? "served" : "refused"} (${evicted} evicted); ` +
            `all closed ${(lateMs / 1000).toFixed(1)} s after opening (idle timeout ${IDLE_TIMEOUT_S} s)`,
        );
        assert.ok(closedAll.every(Boolean), "every idle connection was dropped");
        assert.ok(peak - before < PEAK_GROWTH_CAP, `peak RSS grew ${((peak - before) / MiB).toFixed(1)} MiB`);
      } finally {
        await Promise.all(clients.map((c) => c.destroy()));
        await process?.stop();
        await temp.remove();
      }
    });
  }
}

/**
 * Memory given back when connections end: thousands of short sessions (the
 * client closes after the greeting, quits, or sends a command and closes
 * without reading the reply) against each server, started as its task
 * starts it, and the growth of its RSS read from /proc/PID/status. A
 * connection that stays reachable after it ended (issue 17: about 5 KiB
 * each) shows as tens of MiB here; a warm-up first lets the heap reach its
 * working size, so that what follows measures only what is kept. SIGUSR1
 * then makes the server log its heap figures.
 */

import assert from "node:assert/strict";
import { POP3_READY } from "../helpers/pop3_server.ts";
import { makeTempRoot, procMemory, REPO_ROOT, spawnServer, waitFor } from "../helpers/server_process.ts";
import { SMTP_READY } from "../helpers/smtp_server.ts";

const WARM_UP = 1_500;
const MEASURED = 6_000;
const AT_ONCE = 16;
/** Far above what the servers keep (well under 3 MiB here), far below what 6,000 leaked sessions held (30 MiB). */
const MARGIN_MIB = 12;

const encoder = new TextEncoder();

/** The V8 flags of the server tasks in deno.json, so the heap is capped as users run it. */
async function taskV8Flags(task: string): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/deno.json`));
  const flags = /--v8-flags=\S+/.exec(config.tasks[task]);
  assert.ok(flags, `deno.json task ${task} has --v8-flags`);
  return flags[0];
}

/** One short session of kind `n % 3`: close after the greeting, QUIT, or a command left unread. */
async function shortSession(port: number, n: number, quit: string): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const buffer = new Uint8Array(512);
    await conn.read(buffer);
    if (n % 3 === 1) {
      await conn.write(encoder.encode(`${quit}\r\n`));
      while ((await conn.read(buffer)) !== null);
    } else if (n % 3 === 2) {
      await conn.write(encoder.encode("NOOP\r\n"));
    }
  } finally {
    conn.close();
  }
}

/** Runs `count` sessions, `AT_ONCE` at a time. */
async function churn(port: number, count: number, quit: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await shortSession(port, next++, quit);
  };
  await Promise.all(Array.from({ length: AT_ONCE }, worker));
}

for (
  const server of [{ task: "smtp", script: "smtpmail.ts", ready: SMTP_READY }, {
    task: "pop3",
    script: "popserver.ts",
    ready: POP3_READY,
  }]
) {
  Deno.test(`${server.script} gives back the memory of ${MEASURED} ended connections`, async () => {
    const temp = await makeTempRoot();
    try {
      const process = await spawnServer({
        script: server.script,
        args: ["0", "--root", temp.root],
        cwd: temp.dir,
        ready: server.ready,
        permissions: ["--allow-all", await taskV8Flags(server.task)],
      });
      try {
        const pid = process.process.pid;
        await churn(process.port, WARM_UP, "QUIT");
        const before = await procMemory(pid, "VmRSS");
        await churn(process.port, MEASURED, "QUIT");
        const after = await procMemory(pid, "VmRSS");
        const grownMib = (after - before) / 2 ** 20;
        console.log(
          `${server.script}: RSS ${(before / 2 ** 20).toFixed(1)} -> ${(after / 2 ** 20).toFixed(1)} MiB ` +
            `over ${MEASURED} sessions (${grownMib.toFixed(1)} MiB)`,
        );
        assert.ok(grownMib < MARGIN_MIB, `RSS grew ${grownMib.toFixed(1)} MiB over ${MEASURED} ended sessions`);
        Deno.kill(pid, "SIGUSR1");
        const memory = / memory rss=(\d+) heap_used=(\d+) heap_total=(\d+) external=(\d+)\n/;
        await waitFor("the memory line", () => memory.test(process.stderrText()));
        const [, rss, heapUsed] = memory.exec(process.stderrText())!.map(Number);
        console.log(`${server.script}: SIGUSR1 says rss=${rss} heap_used=${heapUsed}`);
        assert.ok(rss > 0 && heapUsed > 0 && heapUsed < rss);
      } finally {
        await process.stop();
      }
    } finally {
      await temp.remove();
    }
  });
}

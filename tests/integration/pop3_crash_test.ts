/**
 * popserver killed with SIGKILL before, during and after the commit of a
 * QUIT while SMTP keeps delivering: afterwards every message is there
 * exactly once and intact, or was deleted as the session asked and only if
 * its QUIT could have committed, all at once; a stale temporary file does not
 * break the next session.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { assertBytesEqual, encode } from "../helpers/bytes.ts";
import { loadMessage, markerOf } from "../helpers/load.ts";
import { delivered, readMailbox, splitMailbox } from "../helpers/mailbox_file.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages, startPop3, storedMessages } from "../helpers/pop3_server.ts";
import { makeTempRoot, sleep } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { startSmtp } from "../helpers/smtp_server.ts";

const QUEUED = /^250 2\.0\.0 OK queued as (\S+)$/;

/**
 * Milliseconds between sending QUIT and SIGKILL in each round: every 3 ms from 0 to 45, with up to 2 ms of
 * random jitter so that runs probe different moments of the commit (about 10-30 ms here), then one kill long
 * after it; `null` kills before QUIT is sent.
 */
const KILL_AFTER_QUIT: (number | null)[] = [
  null,
  ...Array.from({ length: 16 }, (_, i) => i * 3 + Math.floor(Math.random() * 3)),
  500,
];

/**
 * Delivers `loadMessage(c, m)` for m = 0, 1, ... about every 20 ms until
 * `stop()` is true, recording the trace id and marker of each acknowledged one.
 */
async function deliverSlowly(port: number, c: number, acked: Map<string, string>, stop: () => boolean): Promise<void> {
  const client = await SmtpClient.open(port, `bg${c}.test`);
  try {
    for (let m = 0; !stop() && m < 2000; m++) {
      const r = await client.send({ from: "stallings@localhost", to: ["andrew@localhost"], data: loadMessage(c, m) });
      acked.set(QUEUED.exec(r.last)?.[1] ?? assert.fail(`not queued: ${r.last}`), `M-${c}-${m}`);
      await sleep(20);
    }
    await client.quit();
  } finally {
    await client.close();
  }
}

/**
 * Reads the mailbox and checks that each complete record is intact and
 * there once. A torn tail may only be a delivery still being written.
 *
 * @returns the trace ids present
 */
async function checkMailbox(root: string): Promise<Set<string>> {
  const { records } = splitMailbox(await readMailbox(root, "Andrew"));
  const ids = new Set<string>();
  const markers = new Set<string>();
  for (const record of records) {
    const { trace, message } = delivered(record);
    const marker = markerOf(message);
    assert.ok(!ids.has(trace.id) && !markers.has(marker), `${marker} (${trace.id}) is in the mailbox twice`);
    ids.add(trace.id);
    markers.add(marker);
    const [, c, m] = marker.split("-").map(Number);
    assertBytesEqual(message, encode(loadMessage(c, m)), marker);
  }
  return ids;
}

/** One POP3 session that marks every other message and is killed around its QUIT. */
async function killedSession(
  port: number,
  killAfterQuit: number | null,
  kill: () => Promise<unknown>,
): Promise<{ marked: string[]; quitOk: boolean }> {
  const client = await Pop3Client.login(port, "Andrew");
  try {
    const uids = await client.listing("UIDL");
    const marked = [...uids].filter(([n]) => n % 2 === 1);
    await client.write(marked.map(([n]) => `DELE ${n}\r\n`).join(""));
    for (const _ of marked) client.ok(await client.line());
    if (killAfterQuit === null) {
      await kill();
      return { marked: marked.map(([, id]) => id), quitOk: false };
    }
    await client.write("QUIT\r\n");
    const reply = client.lineBytes(5000).catch(() => null);
    if (killAfterQuit > 0) await sleep(killAfterQuit);
    await kill();
    const line = await reply;
    return {
      marked: marked.map(([, id]) => id),
      quitOk: line !== null && /^\+OK/.test(new TextDecoder().decode(line)),
    };
  } finally {
    await client.close();
  }
}

Deno.test("popserver killed around QUIT while mail arrives never loses, duplicates or tears a message", async () => {
  const temp = await makeTempRoot();
  const smtp = await startSmtp({ root: temp });
  let stop = false;
  let background: Promise<unknown> = Promise.resolve();
  try {
    await Promise.all(
      [0, 1, 2, 3].map((c) => sendMessages(smtp.port, Array.from({ length: 50 }, (_, m) => loadMessage(c, m)))),
    );
    const acked = new Map<string, string>();
    for (const { id, message } of await storedMessages(temp.root, "Andrew")) acked.set(id, markerOf(message));
    assert.equal(acked.size, 200);
    background = Promise.all([10, 11].map((c) => deliverSlowly(smtp.port, c, acked, () => stop)));
    background.catch(() => {});
    const deleted = new Set<string>();
    const outcomes: string[] = [];
    for (const delay of KILL_AFTER_QUIT) {
      const pop3 = await startPop3(temp);
      let result;
      try {
        result = await killedSession(pop3.port, delay, () => pop3.kill());
      } finally {
        await pop3.kill();
      }
      const ackedBefore = new Set(acked.keys());
      const present = await checkMailbox(temp.root);
      const { marked, quitOk } = result;
      const left = marked.filter((id) => present.has(id));
      const what = `kill ${delay === null ? "before QUIT" : `${delay} ms after QUIT`}`;
      assert.ok(marked.length > 0, what);
      assert.ok(left.length === 0 || left.length === marked.length, `${what}: ${left.length} of ${marked.length} left`);
      if (quitOk) assert.equal(left.length, 0, `${what}: QUIT said +OK but the messages are still there`);
      if (delay === null) assert.equal(left.length, marked.length, `${what}: deleted without QUIT`);
      if (left.length === 0) marked.forEach((id) => deleted.add(id));
      const lost = [...ackedBefore].filter((id) => !deleted.has(id) && !present.has(id));
      assert.deepEqual(lost.map((id) => acked.get(id)), [], `${what}: messages lost`);
      outcomes.push(`${what}: ${quitOk ? "+OK" : "no reply"}, ${left.length === 0 ? "committed" : "not committed"}`);
    }
    stop = true;
    await background;

    // A stale, bigger temporary file must neither break the next commit nor leak into the mailbox.
    const root = temp.root;
    await Deno.writeTextFile(join(root, "Andrew", "mymailbox.tmp"), "stale garbage\r\n".repeat(100_000));
    const pop3 = await startPop3(temp);
    try {
      const client = await Pop3Client.login(pop3.port, "Andrew");
      try {
        const uids = [...(await client.listing("UIDL")).values()];
        const expected = [...acked.keys()].filter((id) => !deleted.has(id));
        assert.deepEqual([...uids].sort(), [...expected].sort(), `after ${outcomes.join("; ")}`);
        await client.command("DELE 1", "+OK");
        await client.quit();
        const after = await storedMessages(root, "Andrew");
        assert.deepEqual(after.map((m) => m.id), uids.slice(1), "the commit after the crashes works");
      } finally {
        await client.close();
      }
    } finally {
      await pop3.stop();
    }
    const { tail } = splitMailbox(await readMailbox(root, "Andrew"));
    assert.equal(tail.length, 0, "no torn bytes at the end of the mailbox");
    await checkMailbox(root);
  } finally {
    stop = true;
    await background.catch(() => {});
    await smtp.stop();
    await temp.remove();
  }
});

/**
 * smtpmail killed with SIGKILL while sessions deliver: every message that
 * got its 250 is in the mailbox exactly once and whole, and a restarted
 * server appends cleanly after a torn tail.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { assertBytesEqual, concat, decode, encode } from "../helpers/bytes.ts";
import { loadMessage, markerOf } from "../helpers/load.ts";
import { delivered, readMailbox, splitMailbox } from "../helpers/mailbox_file.ts";
import { makeTempRoot, waitFor } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { startSmtp } from "../helpers/smtp_server.ts";

const SENDERS = 10;

/** Padding of sender `c`'s messages: two senders send records big enough to need several writes. */
const padding = (c: number) => c >= SENDERS - 2 ? 700_000 : 0;

/** Connection errors expected once the server is killed. */
const CONNECTION_LOST = /connection closed|reset|broken pipe|refused|os error/i;

/**
 * Sends messages until the connection breaks or `enough` says stop, adding
 * the marker of every message that got 250 to `acked`.
 *
 * @returns why it stopped: "done", or the connection error's message
 */
async function crashSender(port: number, c: number, acked: Set<string>, enough: () => boolean): Promise<string> {
  let client: SmtpClient | undefined;
  try {
    client = await SmtpClient.open(port, `crash${c}.test`);
    for (let m = 0; !enough() && m < 1000; m++) {
      const r = await client.send({
        from: "stallings@localhost",
        to: ["andrew@localhost"],
        data: loadMessage(c, m, padding(c)),
      });
      assert.match(r.last, /^250 /);
      acked.add(`M-${c}-${m}`);
    }
    return "done";
  } catch (error) {
    if (error instanceof Error && CONNECTION_LOST.test(error.message)) return error.message;
    throw error;
  } finally {
    await client?.close();
  }
}

Deno.test("smtpmail killed mid-delivery keeps every acknowledged message and recovers a torn tail", async () => {
  const temp = await makeTempRoot();
  try {
    const first = await startSmtp({ root: temp });
    const acked = new Set<string>();
    let killed = false;
    const senders = Promise.all(
      Array.from({ length: SENDERS }, (_, c) => crashSender(first.port, c, acked, () => killed || acked.size > 5000)),
    );
    // Awaited below; this only keeps an early failure from being reported as unhandled.
    senders.catch(() => {});
    try {
      await waitFor("the first acknowledgements", () => acked.size >= 20, 15_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await first.kill();
      killed = true;
    }
    const reasons = await senders;
    assert.ok(reasons.some((r) => r !== "done"), "some senders were cut off by the kill");
    const ackedAtKill = new Set(acked);

    const bytes = await readMailbox(temp.root, "Andrew");
    const { records, tail } = splitMailbox(bytes);
    const found = new Set<string>();
    for (const record of records) {
      const message = delivered(record).message;
      const marker = markerOf(message);
      assert.ok(!found.has(marker), `${marker} stored twice`);
      found.add(marker);
      const [, c, m] = marker.split("-").map(Number);
      assertBytesEqual(message, encode(loadMessage(c, m, padding(c))), marker);
    }
    const lost = [...ackedAtKill].filter((marker) => !found.has(marker));
    assert.deepEqual(lost, [], "acknowledged messages missing after the kill");
    const tornMarker = /\r\nX-Marker: (M-\d+-\d+)\r\n/.exec(decode(tail))?.[1];
    assert.ok(tornMarker === undefined || !ackedAtKill.has(tornMarker), `torn tail holds acknowledged ${tornMarker}`);

    // Make sure the restart has a torn tail to deal with, even if the kill fell between records, and make
    // it longer than the next record, so that overwriting it without cutting it off would leave bytes behind.
    const torn = concat([
      tail.length > 0 ? tail : encode("From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: torn\r\n\r\n"),
      encode(`${"torn line\r\n".repeat(10_000)}half a li`),
    ]);
    const prefix = bytes.subarray(0, bytes.length - tail.length);
    await Deno.writeFile(join(temp.root, "Andrew", "mymailbox"), concat([prefix, torn]));

    const second = await startSmtp({ root: temp });
    try {
      const client = await SmtpClient.open(second.port, "after.test");
      try {
        const r = await client.send({
          from: "stallings@localhost",
          to: ["andrew@localhost"],
          data: loadMessage(99, 0),
        });
        assert.match(r.last, /^250 2\.0\.0 /);
        await client.quit();
      } finally {
        await client.close();
      }
    } finally {
      await second.stop();
    }
    const after = await readMailbox(temp.root, "Andrew");
    const split = splitMailbox(after);
    assert.equal(split.tail.length, 0, "no torn bytes left at the end");
    assert.equal(split.records.length, records.length + 1, "the torn tail was dropped, not kept as a record");
    assertBytesEqual(after.subarray(0, prefix.length), prefix, "records before the crash");
    const last = delivered(split.records[split.records.length - 1]);
    assert.equal(last.trace.helo, "after.test");
    assertBytesEqual(last.message, encode(loadMessage(99, 0)), "message delivered after the restart");
  } finally {
    await temp.remove();
  }
});

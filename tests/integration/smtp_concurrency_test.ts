/**
 * smtpmail under concurrent load: many sessions delivering to one mailbox
 * at once must leave every message exactly once, whole, and unmixed.
 */

import assert from "node:assert/strict";
import { assertBytesEqual, encode } from "../helpers/bytes.ts";
import { loadMessage, markerOf } from "../helpers/load.ts";
import { delivered, readRecords } from "../helpers/mailbox_file.ts";
import { waitFor } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { withSmtp } from "../helpers/smtp_server.ts";

const CONNECTIONS = 20;
const MESSAGES_EACH = 50;

/** One sender: one session, `MESSAGES_EACH` transactions. */
async function sender(port: number, c: number): Promise<void> {
  const client = await SmtpClient.open(port, `sender${c}.test`);
  try {
    for (let m = 0; m < MESSAGES_EACH; m++) {
      const r = await client.send({ from: "fourouzan@localhost", to: ["andrew@localhost"], data: loadMessage(c, m) });
      assert.match(r.last, /^250 2\.0\.0 /, `sender ${c} message ${m}`);
    }
    await client.quit();
  } finally {
    await client.close();
  }
}

Deno.test("smtpmail stores 20 concurrent sessions x 50 messages in one mailbox, each exactly once and intact", async () => {
  await withSmtp([], async (server) => {
    await Promise.all(Array.from({ length: CONNECTIONS }, (_, c) => sender(server.port, c)));
    const { records, tail } = await readRecords(server.root, "Andrew");
    assert.equal(tail.length, 0, "no torn tail");
    assert.equal(records.length, CONNECTIONS * MESSAGES_EACH);
    const seen = new Map<string, number>();
    const ids = new Set<string>();
    for (const record of records) {
      const stored = delivered(record);
      const marker = markerOf(stored.message);
      assert.ok(!seen.has(marker), `${marker} stored twice`);
      const [, c, m] = marker.split("-").map(Number);
      seen.set(marker, c);
      assert.equal(stored.trace.helo, `sender${c}.test`, `${marker} has its own session's trace line`);
      assert.equal(stored.traceIndex, 3);
      ids.add(stored.trace.id);
      assertBytesEqual(stored.message, encode(loadMessage(c, m)), marker);
    }
    assert.equal(seen.size, CONNECTIONS * MESSAGES_EACH);
    assert.equal(ids.size, CONNECTIONS * MESSAGES_EACH, "every message has its own id");
    const stored = () => server.stderrText().split("\n").filter((l) => l.endsWith(" outcome=stored")).length;
    await waitFor("one log line per message", () => stored() >= CONNECTIONS * MESSAGES_EACH);
    assert.equal(stored(), CONNECTIONS * MESSAGES_EACH);
  });
});

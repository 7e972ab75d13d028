/**
 * README.md's annotated transcript of the assignment's example mail is what
 * `smtpmail --trace` prints for it: the test sends the mail with the
 * project's SMTP test client, reads the trace (in JSON, so that the time,
 * the host name and the message id can be replaced field by field), writes
 * it in the text form (`formatText`; smtp_trace_test.ts checks that text
 * and JSON carry the same lines) and compares it with the README's block.
 *
 * When the program's output changes on purpose, rewrite the block with
 *   TRACE_README_UPDATE=1 deno test -A tests/integration/trace_test.ts
 */

import assert from "node:assert/strict";
import { hostname } from "node:os";
import { formatText, type TraceRecord } from "../../lib/trace/record.ts";
import { assertReadmeBlock } from "../helpers/readme_block.ts";
import { SEED_MAIL, SmtpClient } from "../helpers/smtp_client.ts";
import { withSmtp } from "../helpers/smtp_server.ts";
import { traceRecords, waitForClosedSessions } from "../helpers/trace.ts";

/** The line just before the transcript's code block in README.md. */
const MARKER = "<!-- transcript: tests/integration/trace_test.ts writes and checks the block below -->";

/** What the README shows instead of what changes from run to run. */
const SHOWN = {
  time: new Date(Date.UTC(2026, 10, 27, 9, 45, 57, 123)),
  host: "myhost",
  id: "mlx0f1t40.5a3c9e1b27d4",
};

/** A record with the time, this machine's name and the message id replaced by the README's. */
function normalise(record: TraceRecord): TraceRecord {
  const host = new RegExp(`\\b${hostname().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`, "g");
  const line = record.line.replace(host, SHOWN.host).replace(/queued as \S+/, `queued as ${SHOWN.id}`);
  return { ...record, time: SHOWN.time, line };
}

/** The transcript smtpmail prints for the assignment's example mail, as the README shows it. */
async function transcript(): Promise<string> {
  return await withSmtp(["--trace", "--trace-format", "json"], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      const reply = await client.send({ from: "stallings@localhost", to: ["andrew@localhost"], data: SEED_MAIL });
      assert.equal(reply.code, 250, reply.last);
      await client.quit();
    } finally {
      await client.close();
    }
    await waitForClosedSessions(server, 1);
    return traceRecords(server).map((r) => formatText(normalise(r))).join("\n");
  });
}

Deno.test("README's transcript of the assignment's example mail is what smtpmail --trace prints", async () => {
  await assertReadmeBlock({
    marker: MARKER,
    printed: await transcript(),
    update: "TRACE_README_UPDATE",
    rerun: "TRACE_README_UPDATE=1 deno test -A tests/integration/trace_test.ts",
  });
});

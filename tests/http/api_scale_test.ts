/**
 * The API on large mailboxes, over real HTTP against a real popserver:
 * paging through 100,000 messages written straight into the mailbox file,
 * and a 50 MB message's source and attachment streamed while the server's
 * memory stays flat.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { traceLine } from "../mailbox/helpers.ts";
import { passwordOf } from "../helpers/pop3_client.ts";
import { procMemory } from "../helpers/server_process.ts";
import { authHeaders, call, withWebServers } from "../helpers/web_server.ts";

const ANDREW = { user: "Andrew", password: passwordOf("Andrew") };
const COUNT = 100_000;
const MiB = 1024 * 1024;

/** A trace id shaped like the SMTP server's, unique per `n`. */
function traceId(n: number): string {
  return `${(1767225600000 + n).toString(36)}0.${n.toString(16).padStart(12, "0")}`;
}

/** Writes `count` small messages, "Note #n.", into Andrew's mailbox, as the SMTP server stores them. */
async function writeNotes(root: string, count: number): Promise<void> {
  await Deno.mkdir(join(root, "Andrew"));
  const parts: string[] = [];
  for (let n = 0; n < count; n++) {
    const from = n % 2 === 0 ? "even@localhost" : "odd@localhost";
    parts.push(
      `From: ${from}\r\nTo: andrew@localhost\r\nSubject: Note #${n}.\r\n${traceLine(traceId(n))}\r\n\r\nHi.\r\n.\r\n`,
    );
  }
  await Deno.writeTextFile(join(root, "Andrew", "mymailbox"), parts.join(""));
}

interface List {
  total: number;
  messages: { id: string; subject: string; from: string }[];
}

Deno.test("API pages through 100,000 messages newest first, and searches them", async () => {
  await withWebServers(async ({ url }) => {
    const page = async (query: string) => (await call(url, `/api/v1/messages?${query}`, { auth: ANDREW })).json as List;
    const first = await page("limit=3");
    assert.equal(first.total, COUNT);
    assert.deepEqual(first.messages.map((m) => m.subject), ["Note #99999.", "Note #99998.", "Note #99997."]);
    assert.equal(first.messages[0].id, traceId(99_999));
    const middle = await page("start=50000&limit=1000");
    assert.equal(middle.messages.length, 1000);
    assert.deepEqual([middle.messages[0].subject, middle.messages[999].subject], ["Note #49999.", "Note #49000."]);
    const last = await page("start=99998&limit=50");
    assert.deepEqual(last.messages.map((m) => m.subject), ["Note #1.", "Note #0."]);
    assert.deepEqual((await page("start=100000")).messages, []);
    const found = await page("query=%234242.");
    assert.deepEqual([found.total, found.messages.map((m) => m.subject)], [1, ["Note #4242."]]);
    const odd = await page("query=ODD@localhost&limit=2");
    assert.deepEqual([odd.total, odd.messages.map((m) => m.subject)], [COUNT / 2, ["Note #99999.", "Note #99997."]]);
  }, { prepare: (root) => writeNotes(root, COUNT) });
});

/** The large message: its id, its source's SHA-256 and length, and its attachment's. */
interface Large {
  id: string;
  sha256: string;
  octets: number;
  attachment: { sha256: string; octets: number };
}

/**
 * Writes into Andrew's mailbox one message of about 50 MB: a text part and
 * an attachment of 37 MiB of arbitrary octets in base64.
 */
async function writeLarge(root: string): Promise<Large> {
  await Deno.mkdir(join(root, "Andrew"));
  const id = traceId(1);
  const data = new Uint8Array(37 * MiB).map((_, i) => (i * 2654435761) >>> 24);
  const encoded = Buffer.from(data).toString("base64");
  const lines: string[] = [];
  for (let at = 0; at < encoded.length; at += 76) lines.push(encoded.slice(at, at + 76));
  const message = new TextEncoder().encode([
    "From: big@localhost",
    "To: andrew@localhost",
    "Subject: Large",
    traceLine(id),
    'Content-Type: multipart/mixed; boundary="big"',
    "",
    "--big",
    "Content-Type: text/plain",
    "",
    "The data is attached.",
    "--big",
    'Content-Type: application/octet-stream; name="data.bin"',
    'Content-Disposition: attachment; filename="data.bin"',
    "Content-Transfer-Encoding: base64",
    "",
    ...lines,
    "--big--",
    "",
  ].join("\r\n"));
  await Deno.writeFile(join(root, "Andrew", "mymailbox"), message);
  await Deno.writeTextFile(join(root, "Andrew", "mymailbox"), ".\r\n", { append: true });
  const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
  return {
    id,
    sha256: sha256(message),
    octets: message.length,
    attachment: { sha256: sha256(data), octets: data.length },
  };
}

/** Reads a path of the API, hashing the body as it comes. */
async function download(url: string, path: string) {
  const response = await fetch(new URL(path, url), { headers: authHeaders(ANDREW) });
  const hash = createHash("sha256");
  let received = 0;
  for await (const chunk of response.body!) {
    hash.update(chunk);
    received += chunk.length;
  }
  const [length, type] = [response.headers.get("content-length"), response.headers.get("content-type")];
  return { length, type, received, hash: hash.digest("hex") };
}

Deno.test("API streams a 50 MB message's source and attachment with the server's memory flat", async () => {
  let large: Large | undefined;
  await withWebServers(async ({ url, pop3 }) => {
    const { id, sha256, octets, attachment } = large!;
    // Once before measuring, so that what the first request sets up once is counted in the baseline.
    assert.equal((await call(url, "/api/v1/messages", { auth: ANDREW })).status, 200);
    const before = await procMemory(pop3.process.pid, "VmHWM");
    // Three at once: were a message held whole, the three copies alone would take 150 MB.
    const downloads = await Promise.all([0, 1, 2].map(() => download(url, `/api/v1/messages/${id}/raw`)));
    const data = await download(url, `/api/v1/messages/${id}/attachments/0`);
    const detail = await call(url, `/api/v1/messages/${id}`, { auth: ANDREW });
    const grown = ((await procMemory(pop3.process.pid, "VmHWM")) - before) / MiB;
    console.log(
      `popserver's peak RSS grew ${grown.toFixed(1)} MiB sending three 50 MB sources at once, then the attachment`,
    );
    for (const { length, type, received, hash } of downloads) {
      assert.deepEqual([length, type, received, hash], [String(octets), "text/plain; charset=utf-8", octets, sha256]);
    }
    assert.deepEqual([data.type, data.received, data.hash], [
      "application/octet-stream",
      attachment.octets,
      attachment.sha256,
    ]);
    // Each chunk is garbage once sent, collected when V8's external memory has grown by 64 MiB (as for POP3 RETR).
    assert.ok(grown < 80, `popserver's peak RSS grew ${grown.toFixed(1)} MiB`);
    const message = detail.json as { undecoded: string; subject: string; attachments: unknown[] };
    assert.match(message.undecoded, /larger than 32 MiB/);
    assert.equal(message.subject, "Large");
    assert.deepEqual(message.attachments, [{
      index: 0,
      filename: "data.bin",
      contentType: "application/octet-stream",
      size: attachment.octets,
      disposition: "attachment",
      contentId: null,
    }]);

    // A client that stops reading a download does not keep popserver from stopping when asked.
    const stalled = await fetch(new URL(`/api/v1/messages/${id}/raw`, url), { headers: authHeaders(ANDREW) });
    const reader = stalled.body!.getReader();
    await reader.read();
    assert.equal((await pop3.stop()).code, 0);
    await reader.cancel().catch(() => {});
  }, {
    prepare: async (root) => {
      large = await writeLarge(root);
    },
  });
});

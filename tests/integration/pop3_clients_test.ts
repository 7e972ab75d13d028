/**
 * popserver with real clients: Python's poplib and curl read, list and
 * delete what SMTP stored, byte for byte.
 */

import assert from "node:assert/strict";
import { assertBytesEqual, decode, encode } from "../helpers/bytes.ts";
import { readRecords, unstuff } from "../helpers/mailbox_file.ts";
import { sendMessages, storedMessages, withMailServers } from "../helpers/pop3_server.ts";
import { runWithInput } from "../helpers/server_process.ts";

const HEAD = "From: fourouzan@localhost\r\nTo: andrew@localhost\r\n";

/** Three messages with dot lines, 8-bit text and blank lines. */
const MESSAGES = [
  `${HEAD}Subject: one\r\n\r\n.\r\n..\r\n.x\r\nplain\r\n`,
  `${HEAD}Subject: =?utf-8?q?zw=C3=B6lf?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n` +
  "Grüße – ünïcödé ✓ 日本語\r\n.ünïcödé\r\n\r\n\r\n",
  `${HEAD}Subject: three\r\n\r\nlast\r\n.\r\n`,
];

const POPLIB = `
import base64, json, poplib, sys
port, user, password, dele = int(sys.argv[1]), sys.argv[2], sys.argv[3], [int(n) for n in sys.argv[4:]]
p = poplib.POP3("127.0.0.1", port, timeout=10)
p.user(user)
p.pass_(password)
out = {"capa": sorted(p.capa().keys()), "stat": list(p.stat()), "list": {}, "uidl": {}, "messages": {}}
for line in p.list()[1]:
    n, size = line.decode().split()
    out["list"][n] = int(size)
for line in p.uidl()[1]:
    n, uid = line.decode().split()
    out["uidl"][n] = uid
for n in out["list"]:
    resp, lines, octets = p.retr(int(n))
    out["messages"][n] = {"octets": octets, "resp": resp.decode(), "b64": base64.b64encode(b"".join(l + b"\\r\\n" for l in lines)).decode()}
for n in dele:
    p.dele(n)
out["quit"] = p.quit().decode()
print(json.dumps(out))
`;

/** What the poplib script prints. */
interface PoplibResult {
  capa: string[];
  stat: [number, number];
  list: Record<string, number>;
  uidl: Record<string, string>;
  messages: Record<string, { octets: number; resp: string; b64: string }>;
  quit: string;
}

Deno.test("popserver serves Python poplib: LIST, UIDL, RETR byte for byte, DELE and QUIT", async () => {
  await withMailServers([], async ({ smtp, pop3, temp }) => {
    await sendMessages(smtp.port, MESSAGES);
    const before = await storedMessages(temp.root, "Andrew");
    const records = (await readRecords(temp.root, "Andrew")).records;
    const run = await runWithInput(
      "python3",
      ["-c", POPLIB, String(pop3.port), "andrew", "@dministr@tor", "2"],
      encode(""),
    );
    assert.equal(run.status.code, 0, run.stderr);
    const out: PoplibResult = JSON.parse(run.stdout);
    for (const cap of ["TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "IMPLEMENTATION"]) {
      assert.ok(out.capa.includes(cap), `CAPA lists ${cap}: ${out.capa}`);
    }
    assert.deepEqual(Object.keys(out.messages), ["1", "2", "3"]);
    let total = 0;
    records.forEach((record, i) => {
      const n = String(i + 1);
      const got = Uint8Array.from(atob(out.messages[n].b64), (c) => c.charCodeAt(0));
      assertBytesEqual(got, unstuff(record), `poplib's message ${n}`);
      assert.equal(out.list[n], got.length, `LIST size of ${n}`);
      assert.equal(out.messages[n].octets, got.length, `poplib's octet count of ${n}`);
      assert.equal(out.uidl[n], before[i].id, `UIDL of ${n}`);
      total += got.length;
    });
    assert.deepEqual(out.stat, [3, total]);
    assert.match(out.quit, /^\+OK /);
    const after = await storedMessages(temp.root, "Andrew");
    assert.deepEqual(after.map((m) => m.id), [before[0].id, before[2].id], "message 2 deleted, the others kept");
    for (const [i, j] of [[0, 0], [1, 2]]) {
      assertBytesEqual(after[i].message, before[j].message, `kept message ${j + 1}`);
    }
  });
});

/** Runs curl against the POP3 server and returns its status and output bytes. */
async function curl(args: string[]): Promise<{ code: number; out: Uint8Array; err: string }> {
  const out = await new Deno.Command("curl", {
    args: ["--silent", "--show-error", "--max-time", "20", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, out: out.stdout, err: decode(out.stderr) };
}

Deno.test("popserver serves curl: listing, RETR byte for byte, UIDL, DELE, and the login failure", async () => {
  await withMailServers([], async ({ smtp, pop3, temp }) => {
    await sendMessages(smtp.port, MESSAGES);
    await sendMessages(smtp.port, [MESSAGES[0]], "stallings@localhost");
    const records = (await readRecords(temp.root, "Andrew")).records;
    const ids = (await storedMessages(temp.root, "Andrew")).map((m) => m.id);
    const url = `pop3://127.0.0.1:${pop3.port}/`;
    const andrew = ["--user", "Andrew:@dministr@tor"];

    const listing = await curl([url, ...andrew]);
    assert.equal(listing.code, 0, listing.err);
    const sizes = records.map((r, i) => `${i + 1} ${unstuff(r).length}\r\n`).join("");
    assert.equal(decode(listing.out), sizes);
    for (let n = 1; n <= records.length; n++) {
      const r = await curl([`${url}${n}`, ...andrew]);
      assert.equal(r.code, 0, r.err);
      assertBytesEqual(r.out, unstuff(records[n - 1]), `curl's message ${n}`);
    }
    const uidl = await curl([url, "-X", "UIDL", ...andrew]);
    assert.equal(uidl.code, 0, uidl.err);
    assert.equal(decode(uidl.out), ids.map((id, i) => `${i + 1} ${id}\r\n`).join(""));

    // Passwords with "$" and "@" in the URL itself must be percent-encoded.
    const inUrl = await curl([`pop3://andrew:%40dministr%40tor@127.0.0.1:${pop3.port}/1`]);
    assert.equal(inUrl.code, 0, inUrl.err);
    assertBytesEqual(inUrl.out, unstuff(records[0]), "message 1 with the password in the URL");
    const stallings = await curl([`pop3://Stallings:network%24security@127.0.0.1:${pop3.port}/`]);
    assert.equal(stallings.code, 0, stallings.err);
    assert.match(decode(stallings.out), /^1 \d+\r\n$/);

    const wrong = await curl([url, "--user", "Andrew:@dministr@toR"]);
    assert.equal(wrong.code, 67, `a wrong password is refused (curl: login denied): ${wrong.err}`);

    const dele = await curl([url, "-X", "DELE 1", "-I", ...andrew]);
    assert.equal(dele.code, 0, dele.err);
    assert.deepEqual((await storedMessages(temp.root, "Andrew")).map((m) => m.id), ids.slice(1));
    const relisted = await curl([url, "-X", "UIDL", ...andrew]);
    assert.equal(decode(relisted.out), ids.slice(1).map((id, i) => `${i + 1} ${id}\r\n`).join(""));
  });
});

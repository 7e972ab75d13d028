/**
 * The CI slice of the server fuzz (bench/fuzz.ts, "Fuzzing the servers" in
 * bench/README.md): 1,000 sessions per server with a fixed seed against
 * real `smtpmail` and `popserver` processes, no crash and no hang allowed;
 * and the fuzz client's hang detection, against a server that never closes.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { playSession } from "../../bench/fuzz/client.ts";
import type { FuzzSummary } from "../../bench/fuzz/runner.ts";
import { REPO_ROOT } from "../helpers/server_process.ts";

/** The slice's seed: change it only on purpose, and say so in the commit. */
const SEED = 20261207;

Deno.test("bench/fuzz.ts finds no crash or hang in 1,000 sessions per server (fixed seed)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mail_fuzz_slice_" });
  try {
    const json = join(dir, "summary.json");
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        join(REPO_ROOT, "bench", "fuzz.ts"),
        "--seed",
        String(SEED),
        "--sessions",
        "1000",
        "--json",
        json,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const errors = new TextDecoder().decode(out.stderr);
    console.log(text);
    const summary: FuzzSummary = JSON.parse(await Deno.readTextFile(json));
    for (const server of summary.servers) {
      assert.equal(server.sessions, 1000, `${server.name} sessions`);
      assert.deepEqual(server.crashes, [], `${server.name} crashes`);
      assert.deepEqual(server.hangs, [], `${server.name} hangs`);
      assert.ok(server.healthyAtEnd, `${server.name} still serves a valid session at the end`);
    }
    const smtp = summary.servers.find((s) => s.name === "smtp")!;
    const pop3 = summary.servers.find((s) => s.name === "pop3")!;
    // The valid flows must get deep, or the slice tests little beyond the greeting.
    assert.ok((smtp.replies.stored ?? 0) > 200, `messages stored: ${smtp.replies.stored}`);
    assert.ok((pop3.replies["logged in"] ?? 0) > 50, `POP3 logins: ${pop3.replies["logged in"]}`);
    assert.equal(out.code, 0, `exit status; stderr:\n${errors}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Runs `fn` with a port on which a server takes connections and keeps them
 * open, saying nothing, and reading what comes unless `read` is false.
 */
async function withSilentServer(fn: (port: number) => Promise<void>, read = true): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      // Read with conn.read, not conn.readable, which closes the connection at the client's FIN.
      if (read) {
        (async () => {
          const buf = new Uint8Array(4096);
          while (await conn.read(buf).catch(() => null) !== null);
        })();
      }
    }
  })();
  try {
    await fn((listener.addr as Deno.NetAddr).port);
  } finally {
    listener.close();
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // Closed by the peer's reset already.
      }
    }
    await accepting.catch(() => {});
  }
}

Deno.test("playSession reports a hang when the server neither answers nor closes after FIN or QUIT", async () => {
  await withSilentServer(async (port) => {
    const writes = [new TextEncoder().encode("QUIT\r\n")];
    for (const ending of ["fin", "quit"] as const) {
      const report = await playSession(
        { kind: "test", writes, lockstep: false, ending },
        { port, localAddress: "127.0.0.1", hangMs: 300, onLine: () => {} },
      );
      assert.equal(report.outcome, "hang", ending);
      assert.match(report.waitingFor ?? "", ending === "fin" ? /after FIN/ : /after QUIT/);
    }
    const aborted = await playSession(
      { kind: "test", writes, lockstep: false, ending: "reset" },
      { port, localAddress: "127.0.0.1", hangMs: 300, onLine: () => {} },
    );
    assert.equal(aborted.outcome, "aborted", "a reset session waits for nothing");
  });
});

Deno.test("playSession reports a hang when the server stops reading its input", async () => {
  await withSilentServer(async (port) => {
    const report = await playSession(
      { kind: "test", writes: [new Uint8Array(32 * 1024 * 1024)], lockstep: false, ending: "fin" },
      { port, localAddress: "127.0.0.1", hangMs: 500, onLine: () => {} },
    );
    assert.equal(report.outcome, "hang");
    assert.match(report.waitingFor ?? "", /take input/);
  }, false);
});

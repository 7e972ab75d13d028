/**
 * README.md's "git send-email", run as written (issue 18): the servers
 * started as its `git-send-email-servers` block says (`--domain mail.test`,
 * with the tasks' own Deno flags, on free ports), then its `git-send-email`
 * block run by bash in a fresh repository with one commit. git send-email
 * talks to the SMTP server through a relay that records what it sends, so
 * the message stored for Andrew and served by POP3 is compared byte for byte
 * with what git send-email sent, less our trace line, and its body with the
 * patch file.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { assertBytesEqual, decode, encode, indexOfBytes } from "../helpers/bytes.ts";
import { readmeBlocks } from "../helpers/client_sandbox.ts";
import { delivered, readRecords, unstuff } from "../helpers/mailbox_file.ts";
import { needing, peer } from "../helpers/peers.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { POP3_READY } from "../helpers/pop3_server.ts";
import { REPO_ROOT, type ServerProcess, spawnServer } from "../helpers/server_process.ts";
import { SMTP_READY } from "../helpers/smtp_server.ts";

/** How long the README's git commands may take before they are killed. */
const GIT_TIMEOUT_MS = 30_000;
/** The commit message: its body has a line that git send-email must dot-stuff. */
const COMMIT_MESSAGE = "Greet Andrew\n\n.A line that begins with a dot, stuffed on the wire.\n";

Deno.test(needing(
  [peer("git-email"), peer("libmailtools-perl")],
  "README's git send-email example delivers the patch to andrew@mail.test byte for byte",
  async () => {
    const blocks = await readmeBlocks();
    const serversBlock = blocks.get("git-send-email-servers");
    const gitBlock = blocks.get("git-send-email");
    assert.ok(serversBlock !== undefined && gitBlock !== undefined, "README.md has both git send-email blocks");
    const dir = await Deno.makeTempDir({ prefix: "git_send_email_" });
    const servers: ServerProcess[] = [];
    let relay: RecordingRelay | undefined;
    try {
      await Deno.copyFile(join(REPO_ROOT, "userlogincred.txt"), join(dir, "userlogincred.txt"));
      const ports = new Map<string, number>();
      for (const start of await serverStarts(serversBlock)) {
        const server = await spawnServer({ ...start, cwd: dir });
        servers.push(server);
        ports.set(start.readmePort, server.port);
      }
      relay = new RecordingRelay(ports.get("2525") ?? assert.fail("the servers block starts no SMTP server on 2525"));
      const repo = await makeRepository(dir);
      assert.match(gitBlock, /\b2525\b/);
      const run = await runGit(dir, repo, gitBlock.replace(/\b2525\b/g, String(relay.port)));
      assert.equal(run.code, 0, run.log);
      assert.match(run.log, /^Result: 250\b/m);
      await relay.close();

      const sent = sentMessage(relay.sent());
      const records = (await readRecords(dir, "Andrew")).records;
      assert.equal(records.length, 1, "Andrew's messages");
      const { trace, message } = delivered(records[0]);
      assertBytesEqual(message, sent, "the message stored for Andrew, less our trace line");
      assert.equal(trace.protocol, "ESMTP");

      const patches = [...Deno.readDirSync(join(repo, "outgoing"))].map((entry) => entry.name);
      assert.equal(patches.length, 1, `one patch: ${patches}`);
      const patch = await Deno.readTextFile(join(repo, "outgoing", patches[0]));
      const text = decode(sent);
      assert.match(text, /^Subject: \[PATCH\] Greet Andrew\r$/m);
      assert.match(text, /^From: stallings@mail\.test\r$/m);
      assert.match(text, /^To: andrew@mail\.test\r$/m);
      // The patch's body (commit message, diff and signature) goes out as it is, with CRLF line ends.
      const body = patch.slice(patch.indexOf("\n\n") + 2).replaceAll("\n", "\r\n");
      assert.ok(text.endsWith(`\r\n${body}`), `the patch's body ends the message:\n${text}`);

      const pop3 = await Pop3Client.login(ports.get("1100") ?? assert.fail("no POP3 server on 1100"), "Andrew");
      try {
        assertBytesEqual((await pop3.retr(1)).message, unstuff(records[0]), "RETR 1");
        await pop3.quit();
      } finally {
        await pop3.close();
      }
      assert.match(
        servers[0].stderrText(),
        new RegExp(`smtp id=${trace.id} client=127\\.0\\.0\\.1 from=<stallings@mail\\.test> to=<andrew@mail\\.test> `),
      );
    } finally {
      await relay?.close();
      for (const server of servers) await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
));

/** One server of a block such as `deno task smtp 2525 --domain mail.test & deno task pop3 1100`. */
interface ServerStart {
  script: string;
  args: string[];
  permissions: string[];
  ready: RegExp;
  /** The port the README gives it. */
  readmePort: string;
}

/** The servers the block starts, each with its task's Deno flags from deno.json, on port 0 instead of the README's. */
async function serverStarts(block: string): Promise<ServerStart[]> {
  const tasks: Record<string, string> = JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.json"))).tasks;
  return block.trim().split(" & ").map((part) => {
    const [deno, task, name, port, ...flags] = part.trim().split(/\s+/);
    assert.deepEqual([deno, task], ["deno", "task"], part);
    assert.ok(name === "smtp" || name === "pop3", part);
    const words = tasks[name].split(/\s+/);
    const scriptAt = words.findIndex((word) => word.endsWith(".ts"));
    return {
      script: words[scriptAt],
      permissions: words.slice(2, scriptAt),
      args: ["0", ...flags],
      ready: name === "smtp" ? SMTP_READY : POP3_READY,
      readmePort: port,
    };
  });
}

/** Makes `DIR/repo`, a git repository with one commit by Stallings, and a HOME beside it for git. */
async function makeRepository(dir: string): Promise<string> {
  const repo = join(dir, "repo");
  await Deno.mkdir(join(repo, "docs"), { recursive: true });
  await Deno.mkdir(join(dir, "home"));
  await Deno.writeTextFile(join(repo, "docs", "greeting.txt"), "Hello, Andrew.\n.\nA line with only a dot, above.\n");
  const steps = [
    ["git", "init", "-q"],
    ["git", "config", "user.name", "William Stallings"],
    ["git", "config", "user.email", "stallings@mail.test"],
    ["git", "add", "docs/greeting.txt"],
    ["git", "commit", "-q", "--cleanup=verbatim", "-m", COMMIT_MESSAGE],
  ];
  for (const [program, ...args] of steps) {
    const out = await new Deno.Command(program, { args, cwd: repo, env: gitEnv(dir), stdin: "null" }).output();
    assert.ok(out.success, `${program} ${args.join(" ")}: ${decode(out.stderr)}`);
  }
  return repo;
}

/** git's environment: a HOME of its own and no system-wide configuration, so nobody's settings take part. */
function gitEnv(dir: string): Record<string, string> {
  return { HOME: join(dir, "home"), GIT_CONFIG_NOSYSTEM: "1", LC_ALL: "C" };
}

/** Runs the README's commands with bash in `repo`, with git's environment in `dir`; at most 30 s. */
async function runGit(dir: string, repo: string, commands: string): Promise<{ code: number; log: string }> {
  const out = await new Deno.Command("bash", {
    args: ["-eo", "pipefail", "-c", commands],
    cwd: repo,
    env: gitEnv(dir),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(GIT_TIMEOUT_MS),
  }).output();
  return { code: out.code, log: decode(out.stdout) + decode(out.stderr) };
}

/**
 * The message of the one transaction in what an SMTP client sent: the text
 * between its `DATA` line and the end marker, unstuffed (CRLF line ends).
 */
function sentMessage(stream: Uint8Array): Uint8Array {
  const data = indexOfBytes(stream, encode("\r\nDATA\r\n"));
  assert.ok(data >= 0, `no DATA in ${JSON.stringify(decode(stream))}`);
  const start = data + 8;
  const end = indexOfBytes(stream, encode("\r\n.\r\n"), start);
  assert.ok(end >= 0, "no end of data");
  assert.equal(indexOfBytes(stream, encode("\r\nDATA\r\n"), end), -1, "one transaction");
  return unstuff(stream.subarray(start, end + 5));
}

/**
 * A TCP relay on a free loopback port to `port` on 127.0.0.1 that keeps a
 * copy of everything its clients send.
 */
class RecordingRelay {
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #target: number;
  readonly #sent: Uint8Array[] = [];
  readonly #sessions: Promise<void>[] = [];
  readonly #accepting: Promise<void>;
  #closed = false;

  constructor(target: number) {
    this.#target = target;
    this.#accepting = this.#accept();
  }

  /** The port to give clients. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** Everything the clients sent, in order. */
  sent(): Uint8Array {
    return new Uint8Array(this.#sent.flatMap((chunk) => [...chunk]));
  }

  /** Stops listening and waits for every relayed connection to end. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#listener.close();
    }
    await this.#accepting;
    await Promise.all(this.#sessions);
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) this.#sessions.push(this.#relay(client));
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error; // closed while waiting
    }
  }

  async #relay(client: Deno.TcpConn): Promise<void> {
    const server = await Deno.connect({ hostname: "127.0.0.1", port: this.#target });
    try {
      await Promise.all([pump(client, server, this.#sent), pump(server, client)]);
    } finally {
      client.close();
      server.close();
    }
  }
}

/**
 * Copies `from` to `to` until `from` ends, keeping each chunk in `copy`, then
 * ends `to`'s writing side. Ends quietly when either side breaks off: the
 * test compares what arrived, not how the connection ended.
 */
async function pump(from: Deno.TcpConn, to: Deno.TcpConn, copy?: Uint8Array[]): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (let n = await from.read(buffer); n !== null; n = await from.read(buffer)) {
      copy?.push(buffer.slice(0, n));
      for (let written = 0; written < n;) written += await to.write(buffer.subarray(written, n));
    }
    await to.closeWrite();
  } catch (error) {
    if (
      !(error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe ||
        error instanceof Deno.errors.NotConnected || error instanceof Deno.errors.BadResource)
    ) throw error;
  }
}

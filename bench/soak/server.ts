/**
 * The servers under soak: a temporary data root and certificate, each
 * server started as its deno.json task starts it (same V8 flags and
 * permissions) with caps raised for the load, its log read for memory
 * lines and session errors, and stopped at the end.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { drainLines, stopChild } from "../process.ts";
import { taskArgs } from "../task_args.ts";
import type { User } from "./smtp_sessions.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const KEEP_LINES = 20;
const START_TIMEOUT_MS = 20_000;

/** How long a stopped server gets before SIGKILL: the servers give open sessions 10 s. */
const STOP_GRACE_MS = 15_000;

/** A temporary data root with the repository's users and a test certificate. */
export interface SoakRoot {
  /** The data root (`--root`). */
  root: string;
  /** The certificate and key made by scripts/make_cert.sh. */
  certFile: string;
  /** The private key. */
  keyFile: string;
  /** The certificate's PEM text, for clients to trust. */
  pem: string;
  /** The users and passwords of userlogincred.txt. */
  users: User[];
  /** Removes everything. */
  remove(): Promise<void>;
}

/**
 * Makes DIR/root with a copy of userlogincred.txt and DIR/tls with a
 * certificate from scripts/make_cert.sh.
 *
 * @throws {Error} when make_cert.sh fails
 */
export async function makeSoakRoot(): Promise<SoakRoot> {
  const dir = await Deno.makeTempDir({ prefix: "mail_soak_" });
  const root = join(dir, "root");
  const tls = join(dir, "tls");
  await Deno.mkdir(root);
  const credentials = await Deno.readTextFile(join(repoRoot, "userlogincred.txt"));
  await Deno.writeTextFile(join(root, "userlogincred.txt"), credentials);
  const made = await new Deno.Command("bash", {
    args: [join(repoRoot, "scripts", "make_cert.sh"), tls],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!made.success) throw new Error(`make_cert.sh failed: ${new TextDecoder().decode(made.stderr)}`);
  const users = credentials.split(/\r?\n/).filter((line) => line.trim() !== "").map((line) => {
    const [name, password] = line.trim().split(/\s+/);
    return { name, password };
  });
  return {
    root,
    certFile: join(tls, "cert.pem"),
    keyFile: join(tls, "key.pem"),
    pem: await Deno.readTextFile(join(tls, "cert.pem")),
    users,
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}

/** The memory figures of one SIGUSR1 line, in bytes. */
export interface MemoryLine {
  /** Resident set size as the server saw it. */
  rss: number;
  /** V8 heap in use. */
  heapUsed: number;
  /** V8 heap reserved. */
  heapTotal: number;
  /** Memory of objects outside the heap (buffers). */
  external: number;
}

/** A running server. */
export interface SoakServer {
  /** "smtpmail" or "popserver". */
  name: string;
  /** Its process id (the deno process itself). */
  pid: number;
  /** The plain port it listens on. */
  port: number;
  /** Set once the process has exited; the status then. */
  exited: Deno.CommandStatus | undefined;
  /** Log lines telling of a session that failed in the server ("session error"). */
  sessionErrors: number;
  /** Log lines telling of a connection refused over a cap. */
  refusals: number;
  /** The last lines it wrote, for a report of its death. */
  tail(): string;
  /** Asks for a memory line (SIGUSR1) and resolves to it, or undefined when none comes within `timeoutMs`. */
  memory(timeoutMs?: number): Promise<MemoryLine | undefined>;
  /** SIGTERM, then SIGKILL after 15 s; resolves when it has exited and its output is read. */
  stop(): Promise<void>;
}

/** Which server to start. */
export type ServerKind = "smtp" | "pop3";

const SCRIPT = { smtp: "smtpmail", pop3: "popserver" } as const;
const MEMORY = / memory rss=(\d+) heap_used=(\d+) heap_total=(\d+) external=(\d+)$/;

/**
 * Starts the server of deno.json task `kind` on a free port with `root`,
 * STARTTLS/STLS on, and caps that let the load through: 1000 connections,
 * 1000 per address, a 1 ms failed-login delay and a lockout only after a
 * billion failures (the load's failed logins all come from 127.0.0.1).
 *
 * @throws {Error} with its output when it exits or does not listen within 20 s
 */
export async function startSoakServer(kind: ServerKind, root: SoakRoot): Promise<SoakServer> {
  const tlsDir = join(root.certFile, "..");
  const args = (await taskArgs(kind, root.root)).map((arg) =>
    arg.startsWith("--allow-read=") ? `${arg},${tlsDir}` : arg
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...args,
      "0",
      ...["--root", root.root, "--tls-cert", root.certFile, "--tls-key", root.keyFile],
      ...["--max-connections", "1000", "--max-connections-per-address", "1000"],
      ...["--failed-login-delay", "1", "--lockout-after", "1000000000"],
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const name = SCRIPT[kind];
  const tail: string[] = [];
  let memoryLines = 0;
  let latest: MemoryLine | undefined;
  const listening = Promise.withResolvers<number>();
  const server: SoakServer = {
    name,
    pid: child.pid,
    port: 0,
    exited: undefined,
    sessionErrors: 0,
    refusals: 0,
    tail: () => tail.join("\n"),
    async memory(timeoutMs = 3000) {
      const seen = memoryLines;
      try {
        Deno.kill(child.pid, "SIGUSR1");
      } catch {
        return undefined;
      }
      for (const deadline = Date.now() + timeoutMs; memoryLines === seen && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return memoryLines === seen ? undefined : latest;
    },
    stop: async () => {
      await stopChild(child, STOP_GRACE_MS);
      await drained;
    },
  };
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > KEEP_LINES) tail.shift();
  };
  const ready = new RegExp(`^${name} listening on 127\\.0\\.0\\.1:(\\d+),`);
  const drained = Promise.all([
    drainLines(child.stdout, (line) => {
      keep(line);
      const m = ready.exec(line);
      if (m) listening.resolve(Number(m[1]));
    }),
    drainLines(child.stderr, (line) => {
      const m = MEMORY.exec(line);
      if (m) {
        latest = { rss: Number(m[1]), heapUsed: Number(m[2]), heapTotal: Number(m[3]), external: Number(m[4]) };
        memoryLines++;
        return;
      }
      if (line.includes(" session error ")) server.sessionErrors++;
      if (/ (?:smtp|pop3) refused client=/.test(line)) server.refusals++;
      keep(line);
    }),
  ]);
  child.status.then((status) => server.exited = status);
  const timer = setTimeout(() => listening.reject(new Error("no listening line within 20 s")), START_TIMEOUT_MS);
  child.status.then(() => listening.reject(new Error("exited before it listened")));
  try {
    server.port = await listening.promise;
    await handlerReady(child.pid, SIGUSR1);
    return server;
  } catch (error) {
    await stopChild(child, STOP_GRACE_MS);
    await drained;
    throw new Error(`${name} did not start: ${(error as Error).message}\n${server.tail()}`);
  } finally {
    clearTimeout(timer);
  }
}

const SIGUSR1 = 10;

/**
 * Waits until process `pid` catches signal `signal` (its bit in SigCgt of
 * /proc/PID/status). The servers print their listening line a moment
 * before Deno has installed the handler, and SIGUSR1 before that kills them.
 *
 * @throws {Error} when the handler is not there within 5 s
 */
async function handlerReady(pid: number, signal: number): Promise<void> {
  for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const mask = /^SigCgt:\s+([0-9a-f]+)$/m.exec(status)?.[1];
    if (mask !== undefined && (BigInt(`0x${mask}`) >> BigInt(signal - 1)) & 1n) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no handler for signal ${signal} within 5 s`);
}

/**
 * The servers under fuzz: `smtpmail.ts` and `popserver.ts` started as the
 * `smtp` and `pop3` tasks start them (`deno run` with the task's V8 flags
 * and permissions, see `../task_args.ts`), on port 0 in one shared data
 * root, watched for an exit and for failure lines on stderr, with their
 * memory read from /proc.
 *
 * @module
 */

import { drainLines, stopChild } from "../process.ts";
import { taskArgs } from "../task_args.ts";
import { playSession } from "./client.ts";

/** The two servers. */
export type ServerName = "smtp" | "pop3";

/**
 * Flags added to the task's: failed logins answered after 1 ms rather than
 * 1 s, as the integration tests do, so that the random streams' wrong
 * passwords measure the protocol, not the throttle (which has tests of its own).
 */
export const FUZZ_FLAGS: readonly string[] = ["--failed-login-delay", "1"];

/** Lines of a server's stderr that mean something went wrong inside it. */
export const FAILURE_LINE = /session error|Uncaught|panicked|FATAL|out of memory/i;

const READY: Record<ServerName, RegExp> = {
  smtp: /smtpmail listening on 127\.0\.0\.1:(\d+)/,
  pop3: /popserver listening on 127\.0\.0\.1:(\d+)/,
};

/** A running server process. */
export interface FuzzServer {
  /** Which server. */
  name: ServerName;
  /** Its process id, for /proc. */
  pid: number;
  /** The port it listens on. */
  port: number;
  /** Resolves with the exit status when the process ends, for whatever reason. */
  exited: Promise<Deno.CommandStatus>;
  /** The last lines of its stderr. */
  tail(): string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status. */
  stop(graceMs?: number): Promise<Deno.CommandStatus>;
}

/** What a server's watcher reports. */
export interface ServerEvents {
  /** A stderr line matching `FAILURE_LINE`. */
  onFailureLine(server: ServerName, line: string): void;
}

/**
 * Starts one server in `root` (which holds userlogincred.txt) and resolves
 * once it prints its listening line.
 *
 * @throws {Error} with its output when it exits or stays silent for 30 s
 */
export async function startFuzzServer(name: ServerName, root: string, events: ServerEvents): Promise<FuzzServer> {
  const args = [...await taskArgs(name, root), "0", "--root", root, ...FUZZ_FLAGS];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const tail: string[] = [];
  const ready = Promise.withResolvers<number>();
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
  };
  const stdout = drainLines(child.stdout, (line) => {
    keep(line);
    const m = READY[name].exec(line);
    if (m) ready.resolve(Number(m[1]));
  });
  const stderr = drainLines(child.stderr, (line) => {
    keep(line);
    if (FAILURE_LINE.test(line)) events.onFailureLine(name, line);
  });
  const exited = child.status.then(async (status) => {
    await Promise.all([stdout, stderr]);
    return status;
  });
  const timer = setTimeout(() => ready.reject(new Error(`${name}: no listening line in 30 s`)), 30_000);
  exited.then(() => ready.reject(new Error(`${name} exited before it listened:\n${tail.join("\n")}`)));
  try {
    const port = await ready.promise;
    return {
      name,
      pid: child.pid,
      port,
      exited,
      tail: () => [...tail],
      stop: async (graceMs = 15_000) => {
        await stopChild(child, graceMs);
        return await exited;
      },
    };
  } catch (error) {
    await stopChild(child, 0);
    await exited;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads a memory figure of a live process from /proc/PID/status, in bytes:
 * `VmRSS` (resident now) or `VmHWM` (peak resident).
 *
 * @returns undefined when the process is gone
 */
export async function procMemory(pid: number, field: "VmRSS" | "VmHWM"): Promise<number | undefined> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Makes a fresh data root holding a copy of the repository's
 * userlogincred.txt.
 */
export async function makeFuzzRoot(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "mail_fuzz_" });
  await Deno.copyFile(new URL("../../userlogincred.txt", import.meta.url), `${root}/userlogincred.txt`);
  return root;
}

/** True while the server's process runs. */
export async function isAlive(server: FuzzServer): Promise<boolean> {
  return await procMemory(server.pid, "VmRSS") !== undefined;
}

/** User plus system CPU seconds of a live process, from /proc/PID/stat. */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const fields = (await Deno.readTextFile(`/proc/${pid}/stat`)).replace(/^.*\) /, "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 per second on Linux)
  } catch {
    return undefined;
  }
}

/** The conversations of the health check: each must reach the reply named. */
const HEALTH: Record<ServerName, { turns: string[]; expect: RegExp }> = {
  smtp: {
    turns: [
      "EHLO health.test\r\n",
      "MAIL FROM:<stallings@localhost>\r\n",
      "RCPT TO:<andrew@localhost>\r\n",
      "DATA\r\n",
      "From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: health\r\n\r\nstill here\r\n.\r\n",
      "QUIT\r\n",
    ],
    expect: /^250 2\.0\.0 OK queued as /,
  },
  pop3: { turns: ["USER Fourouzan\r\n", "PASS d@t@comm\r\n", "STAT\r\n", "QUIT\r\n"], expect: /^\+OK \d+ \d+$/ },
};

/** Plays a plain valid session in lockstep; true when it reached the expected reply and the server closed. */
export async function healthCheck(server: FuzzServer): Promise<boolean> {
  const { turns, expect } = HEALTH[server.name];
  const encoder = new TextEncoder();
  let reached = false;
  const report = await playSession(
    { kind: "health", writes: turns.map((t) => encoder.encode(t)), lockstep: true, ending: "quit" },
    { port: server.port, localAddress: "127.0.0.1", hangMs: 30_000, onLine: (line) => reached ||= expect.test(line) },
  );
  return reached && report.outcome === "closed";
}

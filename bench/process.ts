/**
 * Child-process helpers for the SMTP benchmark: start a server and wait
 * until it accepts, read its peak memory, stop it.
 *
 * @module
 */

import type { Launch, StartedServer } from "./server_spec.ts";

/** How many of a server's last log lines an error report shows. */
const KEEP_LINES = 20;

/** A started server process. */
export interface RunningServer extends StartedServer {
  /** The server's process id (the process whose memory is measured). */
  pid: number;
  /** Stops the server: SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** Resolves to a TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Reads `stream` to its end, passing each line to `onLine`. */
export async function drainLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let rest = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + text).split("\n");
    rest = lines.pop() ?? "";
    lines.forEach(onLine);
  }
  if (rest) onLine(rest);
}

/** Resolves to true once 127.0.0.1:`port` accepts a TCP connection, to false when `deadline` (a `Date.now()` value) passes first. */
export async function waitForPort(port: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return false;
}

/** How often a starting server's log is read for its ready line. */
const READY_POLL_MS = 20;

/** The last `count` lines of the file at `path`, or "" when it cannot be read. */
function lastLines(path: string, count: number): string {
  let text = "";
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return "";
  }
  return text.trimEnd().split("\n").slice(-count).join("\n");
}

/**
 * Starts the server with its stdout and stderr appended to a log file of its
 * own, as a deployed server logs, so that no reader in the bench competes
 * with the servers for the CPU (a pipe would wake the bench for each of our
 * log lines, and the peers log nothing per message); the file is removed
 * when the server is stopped. Resolves once the server is ready: when
 * `launch.readyText` appears in its log, or else once its port accepts
 * connections.
 *
 * @throws {Error} when it exits or is not ready within `timeoutMs`.
 */
export async function startServer(
  launch: Launch,
  port: number,
  timeoutMs = 15_000,
): Promise<RunningServer> {
  const log = await Deno.makeTempFile({ prefix: "bench_server_", suffix: ".log" });
  // exec keeps the process id: the server itself is the child whose memory is read.
  const child = new Deno.Command("sh", {
    args: ["-c", 'log="$1"; shift; exec "$@" >>"$log" 2>&1', "sh", log, launch.cmd, ...launch.args],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const server: RunningServer = {
    pid: child.pid,
    output: () => lastLines(log, KEEP_LINES),
    peakRss: () => peakRss(child.pid),
    async stop() {
      await stopChild(child);
      await Deno.remove(log).catch(() => {});
    },
  };
  let exited = false;
  const status = child.status.then(() => exited = true);
  const deadline = Date.now() + timeoutMs;
  const ready = launch.readyText
    ? waitForText(log, launch.readyText, deadline, () => exited)
    : waitForPort(port, deadline);
  const outcome = await Promise.race([
    ready.then((up) => up ? "ready" : "timeout"),
    status.then(() => "exited"),
  ]);
  if (outcome !== "ready") {
    const output = server.output();
    await server.stop();
    throw new Error(`${launch.cmd} ${outcome} before it was ready:\n${output}`);
  }
  return server;
}

/**
 * Resolves to true once the file at `path` holds `text`, to false when
 * `deadline` (a `Date.now()` value) passes or `gone` says the writer exited
 * first.
 */
async function waitForText(path: string, text: string, deadline: number, gone: () => boolean): Promise<boolean> {
  while (Date.now() < deadline && !gone()) {
    if ((await Deno.readTextFile(path).catch(() => "")).includes(text)) return true;
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  return false;
}

/** Sends SIGTERM, waits up to `graceMs`, then SIGKILL; resolves to how the child ended. */
export async function stopChild(child: Deno.ChildProcess, graceMs = 3_000): Promise<Deno.CommandStatus> {
  const signal = (sig: Deno.Signal) => {
    try {
      child.kill(sig);
    } catch {
      // Already exited: nothing to stop.
    }
  };
  signal("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    child.status.then(() => true),
    new Promise((resolve) => timer = setTimeout(resolve, graceMs, false)),
  ]);
  clearTimeout(timer);
  if (!exited) signal("SIGKILL");
  return await child.status;
}

/**
 * Reads the peak resident set size (`VmHWM`) of a live process, in bytes.
 *
 * @throws {Error} when /proc has no such figure (process gone, not Linux).
 */
export async function peakRss(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const match = status.match(/^VmHWM:\s+(\d+)\s+kB$/m);
  if (!match) throw new Error(`Cannot read VmHWM of process ${pid}`);
  return Number(match[1]) * 1024;
}

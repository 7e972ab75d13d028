/**
 * Child-process helpers for the SMTP benchmark: start a server and wait
 * until it accepts, read its peak memory, stop it.
 *
 * @module
 */

import type { Launch, StartedServer } from "./server_spec.ts";

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

/**
 * Starts the server and resolves once it is ready: when `launch.readyText`
 * appears on its stdout, or else once its port accepts connections.
 *
 * @throws {Error} when it exits or is not ready within `timeoutMs`.
 */
export async function startServer(
  launch: Launch,
  port: number,
  timeoutMs = 15_000,
): Promise<RunningServer> {
  const child = new Deno.Command(launch.cmd, {
    args: launch.args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const tail: string[] = [];
  let resolveReady = () => {};
  const ready = new Promise<void>((resolve) => resolveReady = resolve);
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > KEEP_LINES) tail.shift();
    if (launch.readyText && line.includes(launch.readyText)) resolveReady();
  };
  const drained = Promise.all([
    drainLines(child.stdout, onLine),
    drainLines(child.stderr, onLine),
  ]);
  const server: RunningServer = {
    pid: child.pid,
    output: () => tail.join("\n"),
    peakRss: () => peakRss(child.pid),
    async stop() {
      await stopChild(child);
      await drained.catch(() => {});
    },
  };
  const deadline = Date.now() + timeoutMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    (launch.readyText ? ready.then(() => true) : waitForPort(port, deadline)).then((up) => up ? "ready" : "timeout"),
    child.status.then(() => "exited"),
    new Promise((resolve) => timer = setTimeout(resolve, timeoutMs, "timeout")),
  ]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    await server.stop();
    throw new Error(
      `${launch.cmd} ${outcome} before it was ready:\n${server.output()}`,
    );
  }
  return server;
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

/**
 * What the soak watches of a server process: resident memory and its peak
 * from /proc/PID/status, open file descriptors from /proc/PID/fd, and the
 * V8 heap from the line the server logs on SIGUSR1.
 *
 * @module
 */

import type { SoakServer } from "./server.ts";

/** One look at the server during the load. */
export interface Sample {
  /** Seconds since the load began. */
  seconds: number;
  /** Sessions ended by then. */
  sessions: number;
  /** Sessions per second since the previous sample. */
  rate: number;
  /** VmRSS, bytes. */
  rss: number;
  /** VmHWM (peak RSS so far), bytes. */
  hwm: number;
  /** V8 heap in use, bytes; undefined when the server logged no memory line in time. */
  heapUsed?: number;
  /** Open file descriptors. */
  fds: number;
  /** Errors the load has met by then. */
  errors: number;
}

/** Memory and descriptors of a live process. */
export interface ProcFigures {
  /** VmRSS, bytes. */
  rss: number;
  /** VmHWM, bytes. */
  hwm: number;
  /** Entries of /proc/PID/fd. */
  fds: number;
}

/**
 * Reads VmRSS, VmHWM and the number of open descriptors of process `pid`.
 *
 * @throws {Error} when the process is gone
 */
export async function readProc(pid: number): Promise<ProcFigures> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(status);
    if (!m) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(m[1]) * 1024;
  };
  let fds = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) fds++;
  return { rss: field("VmRSS"), hwm: field("VmHWM"), fds };
}

/** Where a sample's counts come from. */
export interface SampleInput {
  /** The server. */
  server: SoakServer;
  /** Sessions and errors so far. */
  sessions: number;
  /** Errors so far. */
  errors: number;
  /** When the load began (performance.now()). */
  startMs: number;
  /** The previous sample, for the rate. */
  previous?: Sample;
}

/**
 * Takes a sample: the heap first (SIGUSR1, up to 3 s), then /proc.
 *
 * @throws {Error} when the process is gone
 */
export async function takeSample(input: SampleInput): Promise<Sample> {
  const memory = await input.server.memory();
  const proc = await readProc(input.server.pid);
  const seconds = (performance.now() - input.startMs) / 1000;
  const before = input.previous ?? { seconds: 0, sessions: 0 };
  const span = seconds - before.seconds;
  return {
    seconds,
    sessions: input.sessions,
    rate: span > 0 ? (input.sessions - before.sessions) / span : 0,
    rss: proc.rss,
    hwm: proc.hwm,
    heapUsed: memory?.heapUsed,
    fds: proc.fds,
    errors: input.errors,
  };
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number | undefined): string {
  return bytes === undefined ? "?" : (bytes / 2 ** 20).toFixed(1);
}

/** An integer with thousands separators. */
export function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** The progress line printed every interval. */
export function formatSample(name: string, s: Sample): string {
  return `${name} ${s.seconds.toFixed(0).padStart(5)} s  ${count(s.sessions).padStart(9)} sessions  ` +
    `${count(s.rate).padStart(5)}/s  rss ${mib(s.rss)} MiB  heap used ${mib(s.heapUsed)} MiB  ` +
    `fds ${s.fds}  errors ${count(s.errors)}`;
}

/**
 * The fuzz runner: starts both servers on one fresh data root, plays
 * `sessions` generated sessions against each over real sockets, at most
 * `concurrency` at once, and collects what went wrong — a server process
 * that exited, a failure line in its stderr (see `FAILURE_LINE`), a session
 * the server neither closed nor read within `hangMs` — with the servers'
 * memory (peak and final RSS from /proc) and what the sessions reached.
 *
 * Session `i` of a server is the same for the same seed, however many run
 * at once: it is drawn from a fast-check sample whose seed is derived from
 * (seed, server, i / BATCH). `only` replays chosen sessions by id.
 *
 * @module
 */

import fc from "fast-check";
import { playSession, type SessionReport } from "./client.ts";
import { COUNTED, countLine, emptyFigures, type FuzzSummary, noteSlowest, type ServerFigures } from "./figures.ts";
import type { FuzzSession, SessionPlan } from "./plan.ts";
import { pop3Session } from "./pop3_sessions.ts";
import {
  cpuSeconds,
  type FuzzServer,
  healthCheck,
  isAlive,
  makeFuzzRoot,
  procMemory,
  type ServerName,
  startFuzzServer,
} from "./servers.ts";
import { smtpSession } from "./smtp_sessions.ts";

/** The figures, as the runner returns them. */
export type { Finding, FuzzSummary, ServerFigures } from "./figures.ts";

/** What to run. */
export interface FuzzOptions {
  /** The seed every session is derived from. */
  seed: number;
  /** Sessions per server. */
  sessions: number;
  /** Sessions open at once, over both servers (at most 250: one loopback source address each). */
  concurrency: number;
  /** The servers to fuzz. */
  servers: readonly ServerName[];
  /** Milliseconds the server may take to close (or read) after a client's last move. */
  hangMs: number;
  /** Session ids ("smtp#12") to play alone instead of the whole run. */
  only?: readonly string[];
  /** Receives a progress line now and then, and every finding as it happens. */
  progress?(line: string): void;
}

/** Sessions drawn per fast-check sample. */
const BATCH = 250;
/** Restarts of a crashed server before its remaining sessions are skipped. */
const MAX_RESTARTS = 3;

const ARBITRARY: Record<ServerName, fc.Arbitrary<SessionPlan>> = { smtp: smtpSession, pop3: pop3Session };

/** Session `index` of `server` for `seed`. */
export function sessionFor(
  seed: number,
  server: ServerName,
  index: number,
  cache = new Map<string, SessionPlan[]>(),
): FuzzSession {
  const batch = Math.floor(index / BATCH);
  const key = `${server}:${batch}`;
  let plans = cache.get(key);
  if (plans === undefined) {
    plans = fc.sample(ARBITRARY[server], { seed: hash32(`${seed}:${server}:${batch}`), numRuns: BATCH });
    for (const old of cache.keys()) if (old.startsWith(`${server}:`)) cache.delete(old);
    cache.set(key, plans);
  }
  return plans[index % BATCH]();
}

/** Parses "smtp#12" into its server and index. */
export function parseSessionId(id: string): { server: ServerName; index: number } {
  const m = /^(smtp|pop3)#(\d+)$/.exec(id);
  if (!m) throw new SyntaxError(`Cannot parse session id: ${id} (expected smtp#N or pop3#N)`);
  return { server: m[1] as ServerName, index: Number(m[2]) };
}

/**
 * Runs the fuzz and returns its figures. Stops the servers and removes the
 * data root whatever happens.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  if (options.concurrency < 1 || options.concurrency > 250) throw new RangeError("Cannot use --concurrency: 1-250");
  const root = await makeFuzzRoot();
  const run = new Run(options);
  try {
    await run.start(root);
    const started = Date.now();
    await run.play();
    const seconds = (Date.now() - started) / 1000;
    return {
      seed: options.seed,
      sessionsPerServer: options.sessions,
      concurrency: options.concurrency,
      seconds,
      servers: await run.finish(),
    };
  } finally {
    await run.stopAll();
    await Deno.remove(root, { recursive: true });
  }
}

/** The state of one run. */
class Run {
  #options: FuzzOptions;
  #servers = new Map<ServerName, { process: Promise<FuzzServer | undefined>; restarts: number; stopping: boolean }>();
  #figures = new Map<ServerName, ServerFigures>();
  #inFlight = new Map<string, string>(); // source address -> session id
  #lastAt = new Map<string, string>(); // source address -> the last session id it served
  #freeAddresses = Array.from({ length: 250 }, (_, i) => `127.0.0.${i + 2}`);
  #root = "";
  #done = 0;

  constructor(options: FuzzOptions) {
    this.#options = options;
    for (const name of options.servers) this.#figures.set(name, emptyFigures(name));
  }

  async start(root: string): Promise<void> {
    this.#root = root;
    for (const name of this.#options.servers) {
      const process = this.#launch(name);
      this.#servers.set(name, { process, restarts: 0, stopping: false });
      if (await process === undefined) throw new Error(`${name} did not start`);
    }
  }

  #launch(name: ServerName): Promise<FuzzServer | undefined> {
    const started = startFuzzServer(name, this.#root, {
      onFailureLine: (server, line) => this.#failureLine(server, line),
    });
    started.then((server) => server.exited.then((status) => this.#exited(server, status)), () => {});
    return started.catch((error) => {
      this.#finding("crashes", name, [], `could not restart: ${error.message}`);
      return undefined;
    });
  }

  #exited(server: FuzzServer, status: Deno.CommandStatus): void {
    const entry = this.#servers.get(server.name)!;
    if (entry.stopping) return;
    if (status.code === 0 && server.tail().some((line) => /: shutting down$/.test(line))) {
      // SIGINT or SIGTERM from outside (the runner sends none before the end): a clean stop, not a crash.
      this.#figures.get(server.name)!.stoppedFromOutside++;
      this.#options.progress?.(`[fuzz] ${server.name} was stopped from outside (SIGINT/SIGTERM); restarting it`);
      entry.process = this.#launch(server.name);
      return;
    }
    const inFlight = [...this.#inFlight.values()].filter((id) => id.startsWith(server.name));
    const how = status.signal ? `signal ${status.signal}` : `code ${status.code}`;
    this.#finding(
      "crashes",
      server.name,
      inFlight,
      `process exited (${how}); stderr: ${server.tail().slice(-5).join(" | ")}`,
    );
    entry.restarts++;
    entry.process = entry.restarts > MAX_RESTARTS ? Promise.resolve(undefined) : this.#launch(server.name);
  }

  #failureLine(server: ServerName, line: string): void {
    const address = /client=(127\.0\.0\.\d+)/.exec(line)?.[1];
    const suspects = address === undefined
      ? [...this.#inFlight.values()].filter((id) => id.startsWith(server))
      : [this.#inFlight.get(address) ?? this.#lastAt.get(address) ?? "?"];
    this.#finding("crashes", server, suspects, line.slice(0, 2000));
  }

  #finding(list: "crashes" | "hangs", server: ServerName, sessions: string[], detail: string): void {
    this.#figures.get(server)![list].push({ server, sessions, detail });
    this.#options.progress?.(
      `[fuzz] ${list === "crashes" ? "CRASH" : "HANG"} ${server} ${sessions.join(",")}: ${detail}`,
    );
  }

  /** Plays every session (or only the chosen ones) through a pool of workers. */
  async play(): Promise<void> {
    const ids = this.#options.only ?? this.#allIds();
    const total = ids.length;
    let next = 0;
    const cache = new Map<string, SessionPlan[]>();
    const sampler = this.#sampleMemory(total);
    const ticker = setInterval(() => this.#progressLine(total), 15_000);
    const worker = async () => {
      while (next < total) {
        const id = ids[next++];
        const { server, index } = parseSessionId(id);
        await this.#playOne(id, sessionFor(this.#options.seed, server, index, cache));
        this.#done++;
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.#options.concurrency, total) }, worker));
    } finally {
      clearInterval(ticker);
      sampler.stop();
      await sampler.done;
    }
  }

  #allIds(): string[] {
    const ids: string[] = [];
    for (let i = 0; i < this.#options.sessions; i++) {
      for (const name of this.#options.servers) ids.push(`${name}#${i}`);
    }
    return ids;
  }

  async #playOne(id: string, session: FuzzSession): Promise<void> {
    const { server: name } = parseSessionId(id);
    const figures = this.#figures.get(name)!;
    const server = await this.#servers.get(name)!.process;
    if (server === undefined) return; // crashed past its restarts: reported already
    const address = this.#freeAddresses.pop()!;
    this.#inFlight.set(address, id);
    this.#lastAt.set(address, id);
    let report: SessionReport;
    try {
      report = await playSession(session, {
        port: server.port,
        localAddress: address,
        hangMs: this.#options.hangMs,
        onLine: (line) => countLine(figures, COUNTED[name], line),
      });
    } finally {
      this.#inFlight.delete(address);
      this.#freeAddresses.unshift(address);
    }
    figures.sessions++;
    figures.outcomes[report.outcome]++;
    figures.kinds[session.kind] = (figures.kinds[session.kind] ?? 0) + 1;
    figures.slowReplies += report.slowReplies;
    figures.sentBytes += report.sent;
    noteSlowest(figures, { id, kind: session.kind, outcome: report.outcome, ms: report.ms });
    if (report.outcome === "hang" && !this.#servers.get(name)!.stopping && await isAlive(server)) {
      const detail = `${session.kind} session, ${report.sent} octets sent, ${report.received} received; ` +
        `waited ${this.#options.hangMs} ms for ${report.waitingFor}, server quiet for ${report.quietMs} ms; ` +
        `last reply: ${JSON.stringify(report.tail.slice(-120))}`;
      this.#finding("hangs", name, [id], detail);
    }
  }

  /**
   * Samples each server's RSS every second, for the peak of a process that
   * ends before the run (its VmHWM goes with it), and notes the value once a
   * tenth of the sessions ended.
   */
  #sampleMemory(total: number): { stop(): void; done: Promise<void> } {
    let running = true;
    const done = (async () => {
      while (running) {
        for (const [name, entry] of this.#servers) {
          const server = await entry.process;
          const figures = this.#figures.get(name)!;
          const rss = server && await procMemory(server.pid, "VmRSS");
          if (rss === undefined) continue;
          figures.peakRss = Math.max(figures.peakRss, rss);
          if (figures.earlyRss === 0 && this.#done >= total / 10) figures.earlyRss = rss;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    })();
    return { stop: () => running = false, done };
  }

  #progressLine(total: number): void {
    const parts = [...this.#figures.values()].map((f) =>
      `${f.name} ${f.sessions} (crashes ${f.crashes.length}, hangs ${f.hangs.length})`
    );
    this.#options.progress?.(`[fuzz] ${this.#done}/${total} sessions: ${parts.join(", ")}`);
  }

  /** Checks each server with one plain valid session, then reads its memory. */
  async finish(): Promise<ServerFigures[]> {
    for (const [name, entry] of this.#servers) {
      const server = await entry.process;
      const figures = this.#figures.get(name)!;
      if (server === undefined) continue;
      figures.endRss = await procMemory(server.pid, "VmRSS") ?? 0;
      figures.peakRss = Math.max(figures.peakRss, await procMemory(server.pid, "VmHWM") ?? 0);
      figures.healthyAtEnd = await healthCheck(server);
      figures.cpuSeconds = await cpuSeconds(server.pid) ?? 0;
    }
    return [...this.#figures.values()];
  }

  /** Stops every server; notes how each ended. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#servers].map(async ([name, entry]) => {
      entry.stopping = true;
      const server = await entry.process;
      if (server === undefined) return;
      const peak = await procMemory(server.pid, "VmHWM");
      const figures = this.#figures.get(name)!;
      figures.peakRss = Math.max(figures.peakRss, peak ?? 0);
      const status = await server.stop();
      figures.exit = status.signal ? `signal ${status.signal}` : `code ${status.code}`;
    }));
  }
}

/** A 32-bit FNV-1a hash of `text`, as a fast-check seed. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h | 0;
}

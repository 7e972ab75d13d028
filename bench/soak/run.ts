/**
 * One server's soak from start to end: the data root, the server (and for
 * POP3 an SMTP server beside it on the same root that fills and refills the
 * maildrops), the load with a progress line every interval, the baseline
 * sample after the first 10,000 sessions and the one at the end.
 *
 * @module
 */

import type { ServerName } from "./args.ts";
import { type LoadStats, newStats, runLoad } from "./load.ts";
import { formatShares, Mix, narrowMix } from "./mix.ts";
import { formatSample, type Sample, takeSample } from "./monitor.ts";
import { POP3_MIX, pop3Session, type Pop3Target, UserTurns } from "./pop3_sessions.ts";
import type { SoakResult } from "./report.ts";
import { makeSoakRoot, type SoakRoot, type SoakServer, startSoakServer } from "./server.ts";
import { deliverOne, SMTP_MIX, smtpSession, type SmtpTarget } from "./smtp_sessions.ts";

/** Sessions after which the baseline is taken. */
export const BASELINE_SESSIONS = 10_000;
/** Messages each maildrop holds in the POP3 soak. */
export const MAILDROP_MESSAGES = 30;
/** A session open longer is closed and counted as an error (failed-login delays are at most 8 s). */
const DEADLINE_MS = 60_000;
/** Wait after the last session before the end sample, so the server has closed its side of every session. */
const SETTLE_MS = 2_000;

/** What one soak needs. */
export interface RunOptions {
  /** Sessions in all. */
  total: number;
  /** Sessions at once. */
  concurrency: number;
  /** Session kinds to keep (all when empty). */
  only: readonly string[];
  /** Seconds between progress lines. */
  intervalSeconds: number;
  /** Minutes after which no more sessions start; undefined for no limit. */
  maxMinutes?: number;
  /** Prints a line. */
  print(line: string): void;
}

/** How to play the load against a started server. */
interface Plan {
  mix: Mix<string>;
  play(kind: string, n: number): Promise<string>;
  /** The SMTP server the POP3 load refills the maildrops through; the load stops if it goes. */
  helper?: SoakServer;
}

/**
 * Soaks one server and stops it.
 *
 * @throws {Error} when the server does not start, or `only` names no kind of this server
 */
export async function soak(name: ServerName, options: RunOptions): Promise<SoakResult> {
  const root = await makeSoakRoot();
  const started: SoakServer[] = [];
  try {
    const helper = name === "pop3" ? await startSoakServer("smtp", root) : undefined;
    if (helper) started.push(helper);
    const server = await startSoakServer(name, root);
    started.push(server);
    options.print(`${name}: ${server.name} pid ${server.pid} on 127.0.0.1:${server.port}, root ${root.root}`);
    const plan = await planFor(name, root, server, helper, options);
    options.print(`${name} mix: ${formatShares(plan.mix.shares())}`);
    return await measure(name, server, plan, options);
  } finally {
    for (const s of started.reverse()) await s.stop();
    await root.remove();
  }
}

/** The mix and the session player for `name`; for POP3 the maildrops are filled first. */
async function planFor(
  name: ServerName,
  root: SoakRoot,
  server: SoakServer,
  helper: SoakServer | undefined,
  options: RunOptions,
): Promise<Plan> {
  const weights = name === "smtp" ? SMTP_MIX : POP3_MIX;
  const narrowed = narrowMix<string>(weights, options.only);
  if ("unknown" in narrowed) throw new Error(`Cannot use --only ${narrowed.unknown}: no ${name} session of that kind`);
  const mix = new Mix(narrowed.weights);
  const base = { users: root.users, caCerts: [root.pem], deadlineMs: DEADLINE_MS };
  if (name === "smtp") {
    const target: SmtpTarget = { ...base, port: server.port };
    return { mix, play: (kind, n) => smtpSession(kind as keyof typeof SMTP_MIX, n, target) };
  }
  const smtp: SmtpTarget = { ...base, port: helper!.port };
  const fills = root.users.flatMap((user) => Array.from({ length: MAILDROP_MESSAGES }, () => user.name));
  await Promise.all(fills.map((user, i) => deliverOne(smtp, -1 - i, user)));
  options.print(
    `pop3: ${MAILDROP_MESSAGES} messages delivered to each of ${root.users.length} users through ` +
      `smtpmail pid ${helper!.pid}; each committed DELE is made good by one more delivery`,
  );
  const target: Pop3Target = {
    ...base,
    port: server.port,
    refill: (n, user) => deliverOne(smtp, n, user),
    turns: new UserTurns(),
  };
  return { mix, play: (kind, n) => pop3Session(kind as keyof typeof POP3_MIX, n, target), helper };
}

/** Runs the load against `server`, sampling as it goes. */
async function measure(name: ServerName, server: SoakServer, plan: Plan, options: RunOptions): Promise<SoakResult> {
  const stats: LoadStats = newStats();
  const samples: Sample[] = [];
  const startMs = performance.now();
  const gone = () => [server, plan.helper].find((s) => s?.exited !== undefined);
  const deadline = startMs + (options.maxMinutes ?? Infinity) * 60_000;
  const sample = async () => {
    const s = await takeSample({
      server,
      sessions: stats.done,
      errors: stats.errors,
      startMs,
      previous: samples.at(-1),
    });
    samples.push(s);
    return s;
  };
  // A server gone already is reported by the load, which then stops at once.
  await sample().catch(() => undefined);
  // A short run (under 20,000 sessions) takes its baseline halfway.
  const baselineAt = Math.min(BASELINE_SESSIONS, Math.ceil(options.total / 2));
  let baseline: Promise<Sample | undefined> | undefined;
  let sampling = false;
  const timer = setInterval(async () => {
    if (sampling || server.exited) return;
    sampling = true;
    try {
      options.print(formatSample(name, await sample()));
    } catch {
      // The process went between the check and the read: the load stops and reports it.
    } finally {
      sampling = false;
    }
  }, options.intervalSeconds * 1000);
  try {
    await runLoad({
      total: options.total,
      concurrency: options.concurrency,
      mix: plan.mix,
      play: plan.play,
      stopped: () => gone() !== undefined || performance.now() > deadline,
      onSession: (s) => {
        if (s.done === baselineAt) baseline = sample().catch(() => undefined);
      },
    }, stats);
  } finally {
    clearInterval(timer);
  }
  const loadSeconds = (performance.now() - startMs) / 1000;
  const base = await baseline;
  if (base) options.print(`${name} baseline after ${baselineAt} sessions: ${formatSample(name, base)}`);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const end = server.exited ? undefined : await sample().catch(() => undefined);
  const dead = gone();
  const who = dead === server ? server.name : `the smtpmail beside it that refills the maildrops (pid ${dead?.pid})`;
  const how = dead?.exited && `code ${dead.exited.code}${dead.exited.signal ? ` (${dead.exited.signal})` : ""}`;
  const died = dead && how ? `${who} exited with ${how}:\n${dead.tail()}` : undefined;
  samples.sort((a, b) => a.sessions - b.sessions || a.seconds - b.seconds);
  return {
    server: name,
    total: options.total,
    stats,
    loadSeconds,
    samples,
    baselineAt,
    baseline: base,
    end,
    died,
    sessionErrors: server.sessionErrors,
    refusals: server.refusals,
  };
}

/**
 * What a fuzz run counts, per server: sessions by outcome and kind, crashes
 * and hangs, memory and CPU, the reply lines that show how deep the
 * sessions got, and the longest sessions.
 *
 * @module
 */

import type { SessionOutcome } from "./client.ts";
import type { ServerName } from "./servers.ts";

/** A crash or a hang. */
export interface Finding {
  /** The server it concerns. */
  server: ServerName;
  /** The session it happened in, or the sessions it may have come from. */
  sessions: string[];
  /** What happened, on one line. */
  detail: string;
}

/** One server's figures. */
export interface ServerFigures {
  /** Which server. */
  name: ServerName;
  /** Sessions played. */
  sessions: number;
  /** Sessions per outcome. */
  outcomes: Record<SessionOutcome, number>;
  /** Sessions per generator kind. */
  kinds: Record<string, number>;
  /** Process exits and failure lines. */
  crashes: Finding[];
  /** Clean stops by a SIGINT or SIGTERM that did not come from the runner (another program on the machine); restarted. */
  stoppedFromOutside: number;
  /** Sessions neither closed nor read within the bound. */
  hangs: Finding[];
  /** Peak resident memory (VmHWM at the end; for a process restarted, the highest RSS sampled each second), in bytes. */
  peakRss: number;
  /** Resident memory (VmRSS) after the last session, in bytes. */
  endRss: number;
  /** Resident memory once a tenth of the sessions had ended, in bytes: the baseline for growth. */
  earlyRss: number;
  /** Counts of telling reply lines (deliveries stored, logins, retrievals...). */
  replies: Record<string, number>;
  /** Lockstep replies that took over 5 s. */
  slowReplies: number;
  /** The five longest sessions: id, kind, outcome and milliseconds. */
  slowest: { id: string; kind: string; outcome: SessionOutcome; ms: number }[];
  /** Octets sent to the server. */
  sentBytes: number;
  /** True when a plain valid session still worked after all the others. */
  healthyAtEnd: boolean;
  /** How the server process ended when stopped (`code` or `signal`). */
  exit: string;
  /** CPU seconds (user + system) the server process used. */
  cpuSeconds: number;
}

/** The whole run. */
export interface FuzzSummary {
  /** The options' seed. */
  seed: number;
  /** Sessions per server. */
  sessionsPerServer: number;
  /** Sessions at once. */
  concurrency: number;
  /** Wall-clock seconds of the sessions (servers' start and stop not counted). */
  seconds: number;
  /** Per server. */
  servers: ServerFigures[];
}

/** Reply lines worth counting: how deep the sessions got. */
export const COUNTED: Record<ServerName, [string, RegExp][]> = {
  smtp: [
    ["stored", /^250 2\.0\.0 OK queued as /],
    ["authenticated", /^235 /],
    ["421", /^421 /],
  ],
  pop3: [
    ["logged in", /^\+OK .*'s maildrop has /],
    ["retrieved", /^\+OK \d+ octets$/],
    ["committed", /signing off \(\d+ messages? left\)$/],
    ["in use", /^-ERR \[IN-USE\]/],
    ["[SYS/TEMP]", /^-ERR \[SYS\/TEMP\]/],
  ],
};

/** Keeps the five longest sessions. */
export function noteSlowest(figures: ServerFigures, entry: ServerFigures["slowest"][number]): void {
  if (figures.slowest.length === 5 && entry.ms <= figures.slowest[4].ms) return;
  figures.slowest.push(entry);
  figures.slowest.sort((a, b) => b.ms - a.ms);
  figures.slowest.length = Math.min(5, figures.slowest.length);
}

/** Counts `line` under each pattern it matches. */
export function countLine(figures: ServerFigures, patterns: [string, RegExp][], line: string): void {
  for (const [name, pattern] of patterns) {
    if (pattern.test(line)) figures.replies[name] = (figures.replies[name] ?? 0) + 1;
  }
}

/** Figures with nothing counted yet. */
export function emptyFigures(name: ServerName): ServerFigures {
  return {
    name,
    sessions: 0,
    outcomes: { closed: 0, aborted: 0, refused: 0, hang: 0 },
    kinds: {},
    crashes: [],
    stoppedFromOutside: 0,
    hangs: [],
    peakRss: 0,
    endRss: 0,
    earlyRss: 0,
    replies: {},
    slowReplies: 0,
    slowest: [],
    sentBytes: 0,
    healthyAtEnd: false,
    exit: "running",
    cpuSeconds: 0,
  };
}

/**
 * Figures, ratios and target checks for the POP3 benchmark.
 *
 * @module
 */

import { median } from "../report.ts";
import type { Verdict } from "../report.ts";

/** Everything measured for one server, in milliseconds unless named otherwise. */
export interface ServerFigures {
  /** The first login+STAT after the messages arrived. */
  firstLogin?: number;
  /** login+STAT, one entry per round. */
  login: number[];
  /** LIST+UIDL, one entry per round. */
  listUidl: number[];
  /** RETR of all messages with poplib, one entry per round. */
  retrPoplib: number[];
  /** RETR of all messages pipelined, one entry per round. */
  retrPipelined: number[];
  /** Peak RSS in bytes of the server process after the rounds, if known. */
  peakRss?: number;
}

/** Peak RSS of our server for one maildrop size. */
export interface RssPoint {
  /** Messages in the maildrop. */
  messages: number;
  /** Peak RSS right after start, before any mail, in bytes. */
  idle: number;
  /** Peak RSS after filling and a login+STAT session, in bytes. */
  login: number;
  /** Peak RSS after a further LIST+UIDL session, in bytes. */
  list: number;
  /** Peak RSS after a further session retrieving every message (pipelined), in bytes. */
  peak: number;
}

/** The issues' targets. */
export const TARGETS = {
  /** Issue 12: on PostgreSQL each measure may take at most this many times the file store's time ... */
  postgresFactor: 2,
  /** ... and the PostgreSQL server's peak RSS at most this (MiB). */
  postgresMaxRssMiB: 80,
  /** Pipelined RETR of all messages must take at most this share of Dovecot's time. */
  pipelinedShare: 0.5,
  /** Peak RSS with the largest maildrop may exceed the smallest's by this factor. */
  rssFlatFactor: 1.1,
};

const MIB = 1024 * 1024;

/** Returns a new empty figures record. */
export function emptyFigures(): ServerFigures {
  return { login: [], listUidl: [], retrPoplib: [], retrPipelined: [] };
}

function ms(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? "-" : `${value.toFixed(1)} ms`;
}

function mib(value: number | undefined): string {
  return value === undefined ? "-" : `${(value / MIB).toFixed(1)} MiB`;
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || !Number.isFinite(a / b) ? "-" : `${(a / b).toFixed(2)}x`;
}

/** Formats a Markdown table: rows of [measure, ours, dovecot, ratio]. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cols: string[]) =>
    `| ${cols.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => "-".repeat(w + 1) + (i === 0 ? "-" : ":")).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/**
 * The comparison table: medians over the rounds, the first login, peak
 * RSS, and ratios (below 1 means the first is faster or smaller): ours on
 * the file store against Dovecot, and, when measured, ours on PostgreSQL
 * against the file store and against Dovecot.
 */
export function formatComparison(
  ours: ServerFigures,
  dovecot: ServerFigures | undefined,
  batch: number,
  postgres?: ServerFigures,
): string {
  const med = (f: ServerFigures | undefined, key: keyof ServerFigures) =>
    f === undefined ? undefined : median(f[key] as number[]);
  const row = (name: string, pick: (f: ServerFigures | undefined) => number | undefined, fmt = ms) => {
    const [a, p, d] = [pick(ours), pick(postgres), pick(dovecot)];
    const pg = postgres ? [fmt(p), ratio(p, a), ratio(p, d)] : [];
    return [name, fmt(a), fmt(d), ratio(a, d), ...pg];
  };
  const header = ["measure", "popserver", "dovecot", "ours/dovecot"];
  if (postgres) header.push("popserver on PostgreSQL", "PostgreSQL/file", "PostgreSQL/dovecot");
  return markdownTable(header, [
    row("login+STAT, first after delivery", (f) => f?.firstLogin),
    row("login+STAT, warm (median)", (f) => med(f, "login")),
    row("LIST+UIDL (median)", (f) => med(f, "listUidl")),
    row("RETR all, poplib (median)", (f) => med(f, "retrPoplib")),
    row(`RETR all, pipelined by ${batch} (median)`, (f) => med(f, "retrPipelined")),
    row("server peak RSS after the rounds", (f) => f?.peakRss, mib),
  ]);
}

/** The memory table of our server (peak RSS, VmHWM, after each step), one row per maildrop size. */
export function formatRss(points: RssPoint[]): string {
  const base = points[0];
  return markdownTable(
    ["messages", "idle", "after login+STAT", "after LIST+UIDL", "after RETR all", "vs smallest"],
    points.map((p) => [
      p.messages.toLocaleString("en-US"),
      mib(p.idle),
      mib(p.login),
      mib(p.list),
      mib(p.peak),
      ratio(p.peak, base.peak),
    ]),
  );
}

/** Checks the issues' targets; measures that were not taken give no verdict. */
export function checkTargets(
  ours: ServerFigures,
  dovecot: ServerFigures | undefined,
  rss: RssPoint[],
  postgres?: ServerFigures,
): Verdict[] {
  const verdicts: Verdict[] = [];
  const compare = (text: string, a: number | undefined, limit: number) => {
    if (a === undefined || !Number.isFinite(a) || !Number.isFinite(limit)) return;
    verdicts.push({ text: `${text}: ${a.toFixed(1)} ms vs ${limit.toFixed(1)} ms`, ok: a <= limit });
  };
  if (dovecot) {
    const dovecotLogin = median(dovecot.login);
    compare("first login+STAT <= Dovecot's warm login+STAT", ours.firstLogin, dovecotLogin);
    compare("warm login+STAT <= Dovecot's warm login+STAT", median(ours.login), dovecotLogin);
    compare("RETR all with poplib <= Dovecot", median(ours.retrPoplib), median(dovecot.retrPoplib));
    compare(
      "RETR all pipelined <= half of Dovecot's time (2x faster)",
      median(ours.retrPipelined),
      median(dovecot.retrPipelined) * TARGETS.pipelinedShare,
    );
    if (postgres) {
      compare("PostgreSQL: warm login+STAT <= Dovecot's", median(postgres.login), dovecotLogin);
    }
  }
  if (postgres) {
    const within = (name: string, key: "login" | "listUidl" | "retrPoplib" | "retrPipelined") =>
      compare(
        `PostgreSQL: ${name} <= ${TARGETS.postgresFactor}x the file store`,
        median(postgres[key]),
        median(ours[key]) * TARGETS.postgresFactor,
      );
    compare(
      `PostgreSQL: first login+STAT <= ${TARGETS.postgresFactor}x the file store`,
      postgres.firstLogin,
      (ours.firstLogin ?? NaN) * TARGETS.postgresFactor,
    );
    within("warm login+STAT", "login");
    within("LIST+UIDL", "listUidl");
    within("RETR all with poplib", "retrPoplib");
    within("RETR all pipelined", "retrPipelined");
    if (postgres.peakRss !== undefined) {
      verdicts.push({
        text: `PostgreSQL: peak RSS <= ${TARGETS.postgresMaxRssMiB} MiB: ${mib(postgres.peakRss)}`,
        ok: postgres.peakRss <= TARGETS.postgresMaxRssMiB * MIB,
      });
    }
  }
  if (rss.length >= 2) {
    const small = rss[0];
    const large = rss[rss.length - 1];
    verdicts.push({
      text: `peak RSS flat (<= ${TARGETS.rssFlatFactor}x) from ${small.messages} to ${large.messages} messages: ` +
        `${mib(small.peak)} -> ${mib(large.peak)} (${ratio(large.peak, small.peak)})`,
      ok: large.peak <= small.peak * TARGETS.rssFlatFactor,
    });
  }
  return verdicts;
}

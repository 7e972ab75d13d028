/**
 * The soak's results: the verdict on memory growth, the summary printed at
 * the end, the samples as CSV, and the picture of memory against sessions.
 * Pure.
 *
 * @module
 */

import type { LoadStats } from "./load.ts";
import { count, mib, type Sample } from "./monitor.ts";
import { formatCount, renderChart } from "./svg.ts";

/** Growth of RSS from the baseline to the end beyond which the run fails. */
export const GROWTH_LIMIT = 8 * 2 ** 20;

/** One server's soak. */
export interface SoakResult {
  /** "smtp" or "pop3". */
  server: string;
  /** Sessions asked for. */
  total: number;
  /** What the load counted. */
  stats: LoadStats;
  /** Seconds from the first session to the end of the last. */
  loadSeconds: number;
  /** Every sample, in order (the baseline and the end included). */
  samples: Sample[];
  /** Sessions after which the baseline was taken (10,000; half the sessions in a shorter run). */
  baselineAt: number;
  /** The sample after the first `baselineAt` sessions. */
  baseline?: Sample;
  /** The sample after the last session ended (and a short settle). */
  end?: Sample;
  /** Which process died and how, when the server (or the POP3 soak's SMTP server beside it) died. */
  died?: string;
  /** Server log lines of sessions that failed inside the server. */
  sessionErrors: number;
  /** Server log lines of connections refused over a cap. */
  refusals: number;
}

/** Share of sessions that may end in an error before the run says nothing about memory. */
export const ERROR_SHARE_LIMIT = 0.01;

/**
 * Whether a soak passed: the server lived, at most 1% of the sessions
 * ended in an error (else the load did not exercise the server as
 * planned), and RSS at the end is within `GROWTH_LIMIT` of the baseline.
 */
export function verdict(result: SoakResult): { ok: boolean; text: string } {
  if (result.died !== undefined) return { ok: false, text: `FAIL: ${result.died}` };
  const { done, errors } = result.stats;
  if (errors > done * ERROR_SHARE_LIMIT) {
    return { ok: false, text: `FAIL: ${count(errors)} of ${count(done)} sessions ended in an error` };
  }
  if (result.baseline === undefined || result.end === undefined) {
    return { ok: false, text: "FAIL: no baseline or end sample" };
  }
  const growth = result.end.rss - result.baseline.rss;
  const text = `RSS grew ${mib(growth)} MiB from ${count(result.baselineAt)} sessions to the end ` +
    `(limit ${mib(GROWTH_LIMIT)} MiB)`;
  return growth > GROWTH_LIMIT ? { ok: false, text: `FAIL: ${text}` } : { ok: true, text: `pass: ${text}` };
}

/** The summary printed after a server's soak. */
export function summaryLines(result: SoakResult): string[] {
  const { stats, baseline, end } = result;
  const seconds = result.loadSeconds;
  const lines = [
    `${result.server}: ${count(stats.done)} of ${count(result.total)} sessions in ${seconds.toFixed(0)} s ` +
    `(${count(seconds > 0 ? stats.done / seconds : 0)}/s), load errors ${count(stats.errors)}, ` +
    `server session errors ${result.sessionErrors}, refused ${result.refusals}`,
  ];
  // After a death the last sample taken stands in for the end.
  const last = end ?? result.samples.at(-1);
  const atEnd = end ? "at end" : `at the last sample (${count(last?.sessions ?? 0)} sessions)`;
  if (baseline && last) {
    lines.push(
      `  RSS after ${count(result.baselineAt)} sessions ${mib(baseline.rss)} MiB, ${atEnd} ${mib(last.rss)} MiB ` +
        `(${last.rss >= baseline.rss ? "+" : ""}${mib(last.rss - baseline.rss)} MiB), peak (VmHWM) ${
          mib(last.hwm)
        } MiB`,
      `  heap used after ${count(result.baselineAt)} ${mib(baseline.heapUsed)} MiB, ${atEnd} ${mib(last.heapUsed)} ` +
        `MiB; highest seen ${mib(Math.max(...result.samples.map((s) => s.heapUsed ?? 0)))} MiB; ` +
        `open fds ${baseline.fds} -> ${last.fds} (most ${Math.max(...result.samples.map((s) => s.fds))})`,
    );
  }
  for (const [kind, k] of Object.entries(stats.byKind)) {
    const outcomes = Object.entries(k.outcomes).map(([label, n]) => `${label} ${count(n)}`).join(", ");
    lines.push(
      `  ${kind.padEnd(13)} ${count(k.done).padStart(9)}  ${outcomes}${k.errors ? `, errors ${k.errors}` : ""}`,
    );
  }
  for (const error of stats.firstErrors) lines.push(`  error: ${error}`);
  lines.push(`  ${verdict(result).text}`);
  return lines;
}

/** The samples as CSV: seconds, sessions, rate, rss, hwm, heap_used (bytes), fds, errors. */
export function samplesCsv(samples: readonly Sample[]): string {
  const rows = samples.map((s) =>
    [s.seconds.toFixed(1), s.sessions, s.rate.toFixed(0), s.rss, s.hwm, s.heapUsed ?? "", s.fds, s.errors].join(",")
  );
  return ["seconds,sessions,sessions_per_s,rss,vm_hwm,heap_used,fds,errors", ...rows].join("\n") + "\n";
}

/** RSS and heap used against sessions, with the limit drawn over the baseline. */
export function chartSvg(result: SoakResult, title: string): string {
  const inMib = (bytes: number) => bytes / 2 ** 20;
  const marks = result.baseline === undefined ? [] : [{
    y: inMib(result.baseline.rss + GROWTH_LIMIT),
    label: `RSS after ${formatCount(result.baselineAt)} sessions + ${mib(GROWTH_LIMIT)} MiB (limit)`,
    color: "#c0392b",
  }];
  return renderChart({
    title,
    xLabel: "sessions",
    yLabel: "MiB",
    formatX: formatCount,
    series: [
      { name: "RSS (VmRSS)", color: "#1f77b4", points: result.samples.map((s) => [s.sessions, inMib(s.rss)]) },
      {
        name: "V8 heap used (SIGUSR1)",
        color: "#2ca02c",
        points: result.samples.flatMap((s) => s.heapUsed === undefined ? [] : [[s.sessions, inMib(s.heapUsed)]]),
      },
    ],
    marks,
  });
}

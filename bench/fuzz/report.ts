/**
 * Text for people: the fuzz summary as a table, and one session's bytes
 * written out exactly (long runs of one octet shortened), for reports and
 * replays.
 *
 * @module
 */

import type { FuzzSession } from "./plan.ts";
import type { FuzzSummary } from "./runner.ts";

const MiB = 1024 * 1024;

/** The summary as lines: a table per server, then every finding. */
export function formatSummary(summary: FuzzSummary): string[] {
  const lines = [
    `fuzz: seed ${summary.seed}, ${summary.sessionsPerServer} sessions per server, concurrency ${summary.concurrency}, ` +
    `${summary.seconds.toFixed(1)} s`,
    "",
    "| server | sessions | crashes | hangs | peak RSS | RSS at 10% | RSS at end | healthy at end | exit |",
    "| ------ | -------: | ------: | ----: | -------: | ---------: | ---------: | -------------- | ---- |",
  ];
  for (const s of summary.servers) {
    lines.push(
      `| ${s.name} | ${s.sessions} | ${s.crashes.length} | ${s.hangs.length} | ${mib(s.peakRss)} | ${
        mib(s.earlyRss)
      } | ` +
        `${mib(s.endRss)} | ${s.healthyAtEnd ? "yes" : "NO"} | ${s.exit} |`,
    );
  }
  lines.push("");
  for (const s of summary.servers) {
    lines.push(
      `${s.name}: outcomes ${counts(s.outcomes)}; kinds ${counts(s.kinds)}; replies ${counts(s.replies)}; ` +
        `${(s.sentBytes / MiB).toFixed(0)} MiB sent; stopped from outside ${s.stoppedFromOutside} times; server CPU ${
          s.cpuSeconds.toFixed(1)
        } s; ${s.slowReplies} slow lockstep replies; longest ` +
        s.slowest.map((x) => `${x.id} (${x.kind}, ${x.outcome}) ${(x.ms / 1000).toFixed(1)} s`).join(", "),
    );
    for (const f of [...s.crashes.map((c) => ["CRASH", c] as const), ...s.hangs.map((h) => ["HANG", h] as const)]) {
      lines.push(`  ${f[0]} ${f[1].sessions.join(",") || "-"}: ${f[1].detail}`);
    }
  }
  return lines;
}

/** True when the run found nothing wrong: no crash, no hang, every server still serving at the end. */
export function passed(summary: FuzzSummary): boolean {
  return summary.servers.every((s) => s.crashes.length === 0 && s.hangs.length === 0 && s.healthyAtEnd);
}

/**
 * One session exactly: its kind, pacing and ending, then each write as a
 * JSON string of its octets (as Latin-1), a run of 64 or more equal octets
 * shown as `«N x 0xHH»`.
 */
export function describeSession(id: string, session: FuzzSession): string[] {
  const total = session.writes.reduce((n, w) => n + w.length, 0);
  const lines = [
    `${id}: ${session.kind}, ${session.lockstep ? "lockstep" : "pipelined"}, ends by ${session.ending}, ` +
    `${session.writes.length} writes, ${total} octets`,
  ];
  session.writes.forEach((w, i) => lines.push(`  write ${i + 1}: ${showBytes(w)}`));
  return lines;
}

/** Octets as a JSON string (Latin-1), long runs of one octet shortened. */
export function showBytes(bytes: Uint8Array): string {
  const parts: string[] = [];
  let text = "";
  for (let i = 0; i < bytes.length;) {
    let j = i;
    while (j < bytes.length && bytes[j] === bytes[i]) j++;
    if (j - i >= 64) {
      parts.push(JSON.stringify(text), `«${j - i} x 0x${bytes[i].toString(16).padStart(2, "0")}»`);
      text = "";
    } else {
      text += String.fromCharCode(...bytes.subarray(i, j));
    }
    i = j;
  }
  parts.push(JSON.stringify(text));
  return parts.filter((p) => p !== '""').join(" + ") || '""';
}

function mib(bytes: number): string {
  return bytes === 0 ? "-" : `${(bytes / MiB).toFixed(1)} MiB`;
}

function counts(record: Record<string, number>): string {
  return Object.entries(record).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
}

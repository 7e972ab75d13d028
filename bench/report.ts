/**
 * Figures, ratios and target checks for the SMTP benchmark.
 *
 * @module
 */

/** All rounds of one (server, sessions) cell. */
export interface Cell {
  /** Server name as in `servers.ts`. */
  server: string;
  /** Parallel sessions. */
  sessions: number;
  /** Messages per second, one entry per successful round. */
  rates: number[];
  /** Peak RSS in bytes, one entry per successful round. */
  peakRss: number[];
  /**
   * Seconds from the start of the load until the last message was in the
   * mailbox, one entry per successful round; empty for a server that stores
   * nothing. The load's own time for a server that stores before its 250.
   */
  inMailbox: number[];
}

/** The issues' targets, as ratios measured in one run. */
export const TARGETS = {
  /** Ours must reach this many times the smtp-server peer's msg/s with several sessions (issue 13: 10 and 50). */
  minRatioVsSmtpServer: 1.5,
  /** ... and this many times at one session, where no server can pass the ceiling (`oneSessionCeiling`). */
  minRatioVsSmtpServerAlone: 1.0,
  /** Ours must reach this share of the one-session ceiling. */
  minShareOfCeiling: 0.8,
  /** Ours must stay at or under this peak RSS (MiB) ... */
  maxPeakRssMiB: 80,
  /** ... at this many sessions. */
  rssSessions: 50,
};

const MIB = 1024 * 1024;

/** Returns the median of `values`, or NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function rateOf(cells: readonly Cell[], server: string, sessions: number) {
  const cell = cells.find((c) => c.server === server && c.sessions === sessions);
  return cell ? median(cell.rates) : NaN;
}

function fixed(value: number, digits: number, suffix = ""): string {
  return Number.isFinite(value) ? value.toFixed(digits) + suffix : "-";
}

/**
 * Formats the cells as a Markdown table (readable as is in a terminal):
 * median msg/s, median time until the last message was in the mailbox,
 * highest peak RSS over the rounds, and each row's msg/s as a ratio to the
 * smtp-server, postfix and smtp-sink rows at the same session count.
 */
export function formatTable(cells: readonly Cell[]): string {
  const header = [
    "server",
    "sessions",
    "msg/s (median)",
    "in mailbox s (median)",
    "peak RSS MiB (max)",
    "vs smtp-server",
    "vs postfix",
    "vs smtp-sink",
  ];
  const rows = cells.map((c) => {
    const rate = median(c.rates);
    return [
      c.server,
      String(c.sessions),
      fixed(rate, 0),
      fixed(median(c.inMailbox), 2),
      fixed(Math.max(...c.peakRss) / MIB, 1),
      fixed(rate / rateOf(cells, "smtp-server", c.sessions), 2, "x"),
      fixed(rate / rateOf(cells, "postfix", c.sessions), 2, "x"),
      fixed(rate / rateOf(cells, "smtp-sink", c.sessions), 2, "x"),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cols: string[]) =>
    `| ${
      cols.map((c, i) => i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))
        .join(" | ")
    } |`;
  const rule = `|${widths.map((w, i) => "-".repeat(w + 1) + (i < 2 ? "-" : ":")).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** One target check: what was compared and whether it held. */
export interface Verdict {
  /** Human-readable description with the measured figure. */
  text: string;
  /** Whether the target was met. */
  ok: boolean;
}

/**
 * Checks the issues' targets for server `ours` against the smtp-server
 * peer: the ratio at the session counts in `ratioAt` (every one when
 * unset), and the peak RSS. Cells that were not measured produce no verdict.
 */
export function checkTargets(cells: readonly Cell[], ours: string, ratioAt?: readonly number[]): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const cell of cells.filter((c) => c.server === ours)) {
    const ratio = median(cell.rates) /
      rateOf(cells, "smtp-server", cell.sessions);
    if (Number.isFinite(ratio) && (ratioAt?.includes(cell.sessions) ?? true)) {
      const target = cell.sessions === 1 ? TARGETS.minRatioVsSmtpServerAlone : TARGETS.minRatioVsSmtpServer;
      verdicts.push({
        text: `${ours} msg/s >= ${target.toFixed(1)}x smtp-server with sessions=${cell.sessions}: ${ratio.toFixed(2)}x`,
        ok: ratio >= target,
      });
    }
    if (cell.sessions === TARGETS.rssSessions && cell.peakRss.length > 0) {
      const mib = Math.max(...cell.peakRss) / MIB;
      verdicts.push({
        text: `${ours} peak RSS <= ${TARGETS.maxPeakRssMiB} MiB with ` +
          `sessions=${cell.sessions}: ${mib.toFixed(1)} MiB`,
        ok: mib <= TARGETS.maxPeakRssMiB,
      });
    }
  }
  return verdicts;
}

/**
 * Checks issue 13's target that server `ours` takes more msg/s than `peer`
 * at every session count both were measured at.
 */
export function checkAhead(cells: readonly Cell[], ours: string, peer: string): Verdict[] {
  return cells.filter((c) => c.server === ours).flatMap((cell) => {
    const ratio = median(cell.rates) / rateOf(cells, peer, cell.sessions);
    if (!Number.isFinite(ratio)) return [];
    return [{
      text: `${ours} msg/s ahead of ${peer} with sessions=${cell.sessions}: ${ratio.toFixed(2)}x`,
      ok: ratio > 1,
    }];
  });
}

/** Checks issue 13's target that server `ours` reaches 80% of the one-session ceiling; null when either is unknown. */
export function checkCeilingShare(cells: readonly Cell[], ours: string, ceiling: OneSessionCeiling): Verdict | null {
  const share = rateOf(cells, ours, 1) / ceiling.rate;
  if (!Number.isFinite(share)) return null;
  return {
    text: `${ours} msg/s >= ${TARGETS.minShareOfCeiling * 100}% of the one-session ceiling: ${
      (share * 100).toFixed(0)
    }%`,
    ok: share >= TARGETS.minShareOfCeiling,
  };
}

/** The most one session allows a server that syncs each message before its 250. */
export interface OneSessionCeiling {
  /** smtp-sink's time per message at one session: the exchange alone. */
  exchangeMicros: number;
  /** That exchange plus one sync, as messages per second. */
  rate: number;
  /** `rate` over the smtp-server peer's median at one session. */
  ratioVsSmtpServer: number;
}

/**
 * At one session `smtp-source` waits for each reply, so no server can take
 * less per message than the exchange `smtp-sink` needs plus one sync before
 * the 250. Returns that ceiling, or null when smtp-sink or smtp-server was
 * not measured at one session.
 */
export function oneSessionCeiling(cells: readonly Cell[], syncMicros: number): OneSessionCeiling | null {
  const sink = rateOf(cells, "smtp-sink", 1);
  const peer = rateOf(cells, "smtp-server", 1);
  if (!Number.isFinite(sink) || !Number.isFinite(peer)) return null;
  const exchangeMicros = 1e6 / sink;
  const rate = 1e6 / (exchangeMicros + syncMicros);
  return { exchangeMicros, rate, ratioVsSmtpServer: rate / peer };
}

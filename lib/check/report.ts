/**
 * How `check-server` prints what it found: one line per rule (status,
 * RFC section, rule, title), and under a failure what the server did,
 * what the RFC expects, and the exchange that showed it in the trace's
 * text form. Pure.
 *
 * @module
 */

import { formatText } from "../trace/record.ts";
import type { Result, Status } from "./rule.ts";

/** The most trace lines shown under one failure; the last ones, where it went wrong. */
export const EXCHANGE_SHOWN = 40;

const WORDS: Record<Status, string> = { pass: "pass", fail: "FAIL", "not offered": "not offered", skipped: "skipped" };

/** The status word of a result: "FAIL" for a required rule, "fail" for one the RFCs leave open. */
export function statusWord(result: Result): string {
  return result.verdict.status === "fail" && !result.rule.required ? "fail" : WORDS[result.verdict.status];
}

/**
 * The lines printed for one result: `pass  RFC 5321 3.1  smtp.greeting  title`,
 * then for a failure `found:`, `expected:` and the exchange; for "not
 * offered" and "skipped" the reason in brackets.
 */
export function resultLines(result: Result): string[] {
  const { rule, verdict } = result;
  const optional = rule.required ? "" : " (optional)";
  const head = `${statusWord(result).padEnd(12)}${rule.ref.padEnd(20)}${rule.id.padEnd(30)} ${rule.title}${optional}`;
  if (verdict.status === "pass") return [head];
  if (verdict.status !== "fail") return [`${head} [${verdict.found}]`];
  const shown = result.exchange.slice(-EXCHANGE_SHOWN);
  const hidden = result.exchange.length - shown.length;
  return [
    head,
    `    found:    ${verdict.found}`,
    `    expected: ${rule.expects}`,
    `    exchange${hidden > 0 ? ` (its last ${shown.length} lines of ${result.exchange.length})` : ""}:`,
    ...shown.map((record) => `      ${formatText(record)}`),
  ];
}

/** The summary line: how many rules came out how. */
export function summaryLine(results: readonly Result[]): string {
  const counted = (status: Status) => results.filter((r) => r.verdict.status === status).length;
  const required = results.filter((r) => r.verdict.status === "fail" && r.rule.required).length;
  return `${results.length} rules: ${counted("pass")} pass, ${counted("fail")} fail (${required} required), ` +
    `${counted("not offered")} not offered, ${counted("skipped")} skipped`;
}

/**
 * Runs rules one after the other, each with the trace of the sessions it
 * opened, turning a broken connection or protocol into the rule's failure.
 *
 * @module
 */

import { ClientError } from "../client/connection.ts";
import type { TraceRecord } from "../trace/record.ts";
import { fail, ProtocolError, type Result, type Rule, type Verdict } from "./rule.ts";

/** Where the records of the sessions a rule opens gather. */
export class ExchangeCapture {
  #records: TraceRecord[] = [];

  /** Takes one record (the trace's `emit`). */
  record(record: TraceRecord): void {
    this.#records.push(record);
  }

  /** The records gathered since the last call, and starts afresh. */
  take(): TraceRecord[] {
    return this.#records.splice(0);
  }
}

/**
 * Runs one rule: its verdict, or a failure saying how the server broke
 * the protocol or the connection.
 *
 * @throws what the rule throws other than a `ProtocolError` or a `ClientError` (a bug)
 */
export async function runRule<C>(rule: Rule<C>, context: C): Promise<Verdict> {
  try {
    return await rule.run(context);
  } catch (error) {
    if (error instanceof ProtocolError || error instanceof ClientError) return fail(error.message);
    throw error;
  }
}

/**
 * Runs `rules` in order, telling `onResult` of each as it is known.
 *
 * @returns every result, in order
 */
export async function runRules<C>(
  rules: readonly Rule<C>[],
  context: C,
  capture: ExchangeCapture,
  onResult: (result: Result) => void,
): Promise<Result[]> {
  const results: Result[] = [];
  capture.take();
  for (const rule of rules) {
    const verdict = await runRule(rule, context);
    const result = { rule: rule as Rule<never>, verdict, exchange: capture.take() };
    results.push(result);
    onResult(result);
  }
  return results;
}

/** The exit status of a run: 0 when every required rule passed or was not offered or skipped, else 1. */
export function exitStatus(results: readonly Result[]): number {
  return results.some((r) => r.rule.required && r.verdict.status === "fail") ? 1 : 0;
}

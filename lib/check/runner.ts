/**
 * Runs rules one after the other, each with the trace of the sessions it
 * opened, turning a broken connection or protocol into the rule's failure.
 *
 * @module
 */

import { ClientError } from "../client/connection.ts";
import type { TraceRecord } from "../trace/record.ts";
import { fail, ProtocolError, type Result, type Rule, skipped, type Verdict } from "./rule.ts";

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

/** How the client's connector says a server cannot be reached at all (`tcpConnector`), and `greeting` too. */
const UNREACHABLE = /^Cannot connect to /;

/**
 * Awaits a greeting; one that never comes (a timeout, a broken connection)
 * counts as a server that cannot be reached, so that the run stops there.
 *
 * @throws {ClientError} saying "Cannot connect to …" when no greeting came
 */
export async function greeting<T>(reading: Promise<T>): Promise<T> {
  try {
    return await reading;
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    throw new ClientError(`Cannot connect to the server: no greeting came (${error.message})`);
  }
}

/**
 * Runs `rules` in order, telling `onResult` of each as it is known. Once a
 * rule finds the server unreachable (refused, timed out, TLS refused), the
 * rest are skipped, saying so, rather than each waiting to fail the same way.
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
  let unreachable: string | undefined;
  for (const rule of rules) {
    const verdict = unreachable === undefined ? await runRule(rule, context) : skipped(`not run: ${unreachable}`);
    if (verdict.status === "fail" && UNREACHABLE.test(verdict.found ?? "")) unreachable ??= verdict.found;
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

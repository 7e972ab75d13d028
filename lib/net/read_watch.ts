/**
 * The clocks and counts that decide when a connection's reader must stop
 * waiting: the idle timeout, the deadline of a line that trickles in, the
 * minimum rate of a bulk transfer, the deadline for progress, and the
 * longest run of input without a line end. Pure: the caller passes the
 * time and the received chunks.
 *
 * @module
 */

/** The limits a `ReadWatch` enforces. */
export interface ReadLimits {
  /** Milliseconds without input after which a wait ends. */
  idleTimeoutMs: number;
  /** Milliseconds within which a line must be complete once its first byte arrived; none when undefined. */
  lineTimeoutMs?: number;
  /** Bytes per second that a bulk transfer must average after a grace of `lineTimeoutMs`; none when undefined. */
  minDataRate?: number;
  /** Octets of input without a line end after which the input is refused; none when undefined. */
  maxLineRun?: number;
}

/** Why a wait for input must end: "timeout" (idle, line deadline or data rate) or "stalled" (no progress). */
export type Expiry = "timeout" | "stalled";

const LF = 0x0a;

/** Tracks one connection's input against its limits. Times are milliseconds from any fixed clock. */
export class ReadWatch {
  #limits: ReadLimits;
  /** When the current wait began or input last arrived. */
  #idleSince: number;
  /** Since when the input ends in an unfinished line; undefined while it ends with LF. */
  #partialSince: number | undefined;
  /** Octets received since the last LF. */
  #run = 0;
  /** Octets received in all. */
  #received = 0;
  /** When the current bulk transfer began, and `#received` then. */
  #bulk: { since: number; received: number } | undefined;
  /** When progress is due; undefined when none is expected. */
  #progressDue: number | undefined;

  /** @param limits the limits; `now` starts the idle clock */
  constructor(limits: ReadLimits, now: number) {
    this.#limits = limits;
    this.#idleSince = now;
  }

  /**
   * Notes a received chunk.
   *
   * @returns true when the input has now run past `maxLineRun` octets without a line end
   */
  input(chunk: Uint8Array, now: number): boolean {
    this.#idleSince = now;
    if (chunk.length === 0) return false;
    this.#received += chunk.length;
    const lastLf = chunk.lastIndexOf(LF);
    if (lastLf === chunk.length - 1) this.#partialSince = undefined;
    else if (this.#partialSince === undefined || lastLf >= 0) this.#partialSince = now;
    this.#run = lastLf < 0 ? this.#run + chunk.length : chunk.length - lastLf - 1;
    const max = this.#limits.maxLineRun;
    return max !== undefined && this.#run > max;
  }

  /** Forgets the unfinished line, whose bytes were dropped (before a TLS handshake). */
  dropPartial(): void {
    this.#partialSince = undefined;
    this.#run = 0;
  }

  /** A wait for input begins: the idle clock starts again. */
  waiting(now: number): void {
    this.#idleSince = now;
  }

  /** A bulk transfer (SMTP DATA) goes on: the rate applies from its start, and progress is not due meanwhile. */
  bulk(now: number): void {
    this.#bulk ??= { since: now, received: this.#received };
  }

  /** Line-by-line reading again: the bulk transfer is over. */
  lines(): void {
    this.#bulk = undefined;
  }

  /** Progress is expected within `withinMs` from `now`, or, when undefined, not at all. */
  expectProgress(withinMs: number | undefined, now: number): void {
    this.#progressDue = withinMs === undefined ? undefined : now + withinMs;
  }

  /** Why a wait must end at `now`, or undefined while it may go on. */
  expired(now: number): Expiry | undefined {
    const { idleTimeoutMs, lineTimeoutMs, minDataRate } = this.#limits;
    if (now - this.#idleSince >= idleTimeoutMs) return "timeout";
    if (this.#bulk === undefined && this.#progressDue !== undefined && now >= this.#progressDue) return "stalled";
    if (lineTimeoutMs === undefined) return undefined;
    if (this.#partialSince !== undefined && now - this.#partialSince >= lineTimeoutMs) return "timeout";
    if (this.#bulk === undefined || minDataRate === undefined) return undefined;
    const earnedMs = (this.#received - this.#bulk.received) / minDataRate * 1000;
    return now - this.#bulk.since >= lineTimeoutMs + earnedMs ? "timeout" : undefined;
  }
}

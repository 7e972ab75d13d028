/**
 * The servers' log: one line per message or session, on stderr.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Quotes client input for a log line as a JSON string, with every control
 * character escaped: JSON leaves DEL, the C1 controls and the Unicode line
 * separators as they are, and a terminal or log viewer may act on them.
 */
export function quoteForLog(text: string): string {
  return JSON.stringify(text).replace(
    /[\x7f-\x9f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Writes log lines to stderr, gathering the lines logged during one turn of
 * the event loop into one write: under load a write per line would be a
 * system call per message. Lines wait at most until the next timer turn.
 */
export class StderrLog {
  #pending: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Queues one line (without its line end). */
  line(text: string): void {
    this.#pending.push(text);
    this.#timer ??= setTimeout(() => this.flush(), 0);
  }

  /**
   * Writes every queued line now; call before exiting. Lines that stderr
   * cannot take (a full disk, a closed pipe) are dropped: losing log lines
   * must not stop the mail service.
   */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const bytes = encoder.encode(this.#pending.join("\n") + "\n");
    this.#pending = [];
    try {
      for (let done = 0; done < bytes.length;) done += Deno.stderr.writeSync(bytes.subarray(done));
    } catch {
      // Nowhere to report it: stderr is the log.
    }
  }
}

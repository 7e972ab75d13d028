/**
 * The servers' log: one line per message or session, on stderr.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Characters a log line must not carry as they are: the controls C0 (line
 * ends among them), DEL and C1, and the Unicode format characters that
 * change how a line reads (zero-width spaces and joiners and the marks
 * U+200B-U+200F, the line and paragraph separators U+2028 and U+2029, the
 * bidi embeddings and overrides U+202A-U+202E and isolates U+2066-U+2069,
 * and U+FEFF); written as the complement of what may stay.
 */
const CONTROLS = /[^\x20-\x7e\xa0-\u200a\u2010-\u2027\u202f-\u2065\u206a-\ufefe\uff00-\uffff]/g;

/** A field value that needs no quoting: no white space, quotes or "=" (controls are escaped anyway). */
const PLAIN_VALUE = /^[^\s"=]*$/;

/**
 * A field value written so that it cannot pass for fields of ours: as it
 * is when it holds no white space, `"` or `=`, else as a JSON string with
 * "=" written `\u003d`, so that `grep outcome=` finds only our fields.
 */
export function logValue(text: string): string {
  return PLAIN_VALUE.test(text) ? text : JSON.stringify(text).replace(/=/g, "\\u003d");
}

/**
 * A log line as written: every control character in it escaped as
 * "\uXXXX", so that no client input it quotes can begin a line of its own
 * or drive the terminal that shows the log.
 */
export function logLine(text: string): string {
  return text.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Writes log lines to stderr, gathering lines into one write from a
 * microtask queued by the first of them: the lines logged before that
 * microtask runs go in one write, so that under load there is not a write
 * per message. A microtask rather than a timer: a timer per turn of the
 * event loop cost a lone session's every message the timer's scheduling, a
 * wake-up of the event loop and a turn of its own.
 */
export class StderrLog {
  #pending: string[] = [];
  #queued = false;

  /** Queues one line (without its line end), control characters escaped (`logLine`). */
  line(text: string): void {
    this.#pending.push(logLine(text));
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(() => this.flush());
  }

  /**
   * Writes every queued line now; call before exiting. Lines that stderr
   * cannot take (a full disk, a closed pipe) are dropped: losing log lines
   * must not stop the mail service.
   */
  flush(): void {
    this.#queued = false;
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

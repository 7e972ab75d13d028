/**
 * The load side of the SMTP benchmark: Postfix's `smtp-source`, and counts
 * of the messages that landed in a mailbox file (our records, an mbox).
 *
 * @module
 */

/** Where Debian's `postfix` package puts the load generator. */
export const SMTP_SOURCE = "/usr/sbin/smtp-source";

/** One load run. */
export interface LoadOptions {
  /** Server port on 127.0.0.1. */
  port: number;
  /** Parallel SMTP sessions (`-s`). */
  sessions: number;
  /** Total messages over all sessions (`-m`). */
  messages: number;
  /** Payload bytes per message, headers not included (`-l`). */
  size: number;
  /** The run is killed and fails after this long. */
  timeoutMs: number;
}

/**
 * Runs `smtp-source` and resolves to the wall time in milliseconds.
 *
 * Each session sends HELO, then MAIL/RCPT/DATA transactions back to back
 * on one connection (`-d`, no RSET between them), then QUIT. `-M localhost`
 * fixes the HELO name so no host name is looked up.
 *
 * @throws {Error} when smtp-source fails (it stops at the first non-2xx/3xx
 * reply) or runs past the time-out.
 */
export async function runSmtpSource(opts: LoadOptions): Promise<number> {
  const args = [
    "-d",
    ...["-s", String(opts.sessions), "-m", String(opts.messages)],
    ...["-l", String(opts.size), "-M", "localhost"],
    ...["-f", "bench@localhost", "-t", "andrew@localhost"],
    `127.0.0.1:${opts.port}`,
  ];
  const start = performance.now();
  const child = new Deno.Command(SMTP_SOURCE, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
  try {
    const { code, stdout, stderr } = await child.output();
    const elapsed = performance.now() - start;
    if (code !== 0) {
      const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
      const text = (decode(stdout) + decode(stderr)).trim();
      throw new Error(`smtp-source exited with ${code}: ${text}`);
    }
    return elapsed;
  } finally {
    clearTimeout(timer);
  }
}

const DOT = 0x2e;
const CR = 0x0d;
const LF = 0x0a;
/** An mbox separator line begins with these octets. */
const FROM_ = new TextEncoder().encode("From ");

/** Yields the contents of the file at `path` chunk by chunk; nothing when it is missing. */
async function* chunksOf(path: string): AsyncGenerator<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  yield* file.readable;
}

/**
 * Counts lines holding a single "." (CRLF or LF ended) in a file: one per
 * stored record. A missing file counts 0.
 */
export async function countRecords(path: string): Promise<number> {
  // state: 0 = mid-line, 1 = line start, 2 = saw ".", 3 = saw ".\r"
  let state = 1;
  let count = 0;
  for await (const chunk of chunksOf(path)) {
    for (const byte of chunk) {
      if (byte === LF) {
        if (state === 2 || state === 3) count++;
        state = 1;
      } else if (state === 1 && byte === DOT) state = 2;
      else if (state === 2 && byte === CR) state = 3;
      else state = 0;
    }
  }
  return count;
}

/**
 * Counts the messages of an mbox file: its "From " separator lines, each at
 * the start of the file or after an empty line (local(8) ends every message
 * with one, and quotes a body line that begins with "From " as ">From ").
 * A missing file counts 0.
 */
export async function countMboxMessages(path: string): Promise<number> {
  let count = 0;
  let lineLength = 0;
  // How much of "From " the current line has matched, or -1 when it cannot be a separator.
  let matched = 0;
  for await (const chunk of chunksOf(path)) {
    for (const byte of chunk) {
      if (byte === LF) {
        matched = lineLength === 0 ? 0 : -1;
        lineLength = 0;
        continue;
      }
      lineLength++;
      if (matched < 0) continue;
      matched = byte === FROM_[matched] ? matched + 1 : -1;
      if (matched === FROM_.length) {
        count++;
        matched = -1;
      }
    }
  }
  return count;
}

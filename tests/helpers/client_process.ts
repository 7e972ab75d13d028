/**
 * Runs `mailclient.ts` as a child process for tests: with piped standard
 * input, or inside a pseudo-terminal made by util-linux `script` so that
 * the single-key and hidden-password paths run as they do for a person.
 *
 * @module
 */

import { join } from "node:path";
import { encode } from "./bytes.ts";
import { type Finished, REPO_ROOT, runWithInput } from "./server_process.ts";

/** What a piped client session types to log in as Stallings: user name, then password. */
export const STALLINGS: readonly string[] = ["Stallings", "network$security"];
/** What a piped client session types to log in as Andrew. */
export const ANDREW: readonly string[] = ["Andrew", "@dministr@tor"];
/** The assignment's example mail as typed at Send Mail, ending with the "." line. */
export const EXAMPLE: readonly string[] = [
  "From: stallings@localhost",
  "To: andrew@localhost",
  "Subject: Network Lab Experiment 7",
  "You have learned SMTP very well. Keep It Up!!!",
  ".",
];

/** The permissions of the `client` task: the client must need no others. */
const CLIENT_PERMISSIONS = ["--allow-net", "--allow-read"] as const;

/**
 * The `deno` arguments that run the client with `args`.
 *
 * @param extra permissions beyond the task's, e.g. `--allow-write=FILE` for `--trace=FILE`
 */
export function clientCommand(args: readonly string[], extra: readonly string[] = []): string[] {
  return ["run", ...CLIENT_PERMISSIONS, ...extra, "--quiet", join(REPO_ROOT, "mailclient.ts"), ...args];
}

/**
 * Runs the client to its end with `input` on a pipe as its standard input (closed after it).
 *
 * @param extra permissions beyond the task's
 */
export function runClientPiped(
  args: readonly string[],
  input: string,
  extra: readonly string[] = [],
): Promise<Finished> {
  return runWithInput(Deno.execPath(), clientCommand(args, extra), encode(input));
}

/**
 * The pid of the one client process running with `args`, found in /proc.
 *
 * @throws {Error} when there is not exactly one
 */
export async function clientPid(args: readonly string[]): Promise<number> {
  const tail = ["mailclient.ts", ...args].join("\0") + "\0";
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
    if (cmdline.startsWith(Deno.execPath()) && cmdline.endsWith(tail)) pids.push(Number(entry.name));
  }
  if (pids.length !== 1) throw new Error(`expected one client process, found: ${pids.join(" ") || "none"}`);
  return pids[0];
}

/** The arguments that point the client at 127.0.0.1 with these ports. */
export function serverArgs(smtpPort: number, pop3Port: number): string[] {
  return ["127.0.0.1", String(smtpPort), String(pop3Port)];
}

/** Where util-linux `script` is expected. */
const SCRIPT = "/usr/bin/script";

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A program running in a pseudo-terminal, driven by typing and watching its screen output. */
export class PtySession {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #text = "";
  #done: Promise<void>;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    const read = async (stream: ReadableStream<Uint8Array>) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) this.#text += text;
    };
    this.#done = Promise.all([read(child.stdout), read(child.stderr)]).then(() => {});
  }

  /**
   * Starts `shellCommand` (a /bin/sh command line) in a new pseudo-terminal.
   *
   * @param term the terminal type (TERM); "dumb" when left out
   * @throws {Error} saying what to install when `script` is missing
   */
  static async start(shellCommand: string, term = "dumb"): Promise<PtySession> {
    const found = await Deno.stat(SCRIPT).then(() => true, () => false);
    if (!found) throw new Error(`${SCRIPT} is missing: install it with "apt-get install bsdutils" (util-linux)`);
    const child = new Deno.Command(SCRIPT, {
      args: ["-qfec", shellCommand, "/dev/null"],
      env: { SHELL: "/bin/sh", TERM: term, NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new PtySession(child);
  }

  /**
   * A shell command line that runs the client with `args`, then `after`
   * (e.g. "; stty -a"); in a terminal of `size` (columns x rows) when given.
   */
  static clientLine(args: readonly string[], after = "", size?: { columns: number; rows: number }): string {
    const stty = size === undefined ? "" : `stty cols ${size.columns} rows ${size.rows}; `;
    return stty + [Deno.execPath(), ...clientCommand(args)].map(shellQuote).join(" ") + after;
  }

  /** Everything the terminal showed so far, CRs removed. */
  get screen(): string {
    return this.#text.replace(/\r/g, "");
  }

  /** Types `text` as keys, with no Enter unless it holds "\r". */
  async type(text: string): Promise<void> {
    await this.#writer.write(encode(text));
  }

  /**
   * Waits until the screen output after `from` matches `pattern`.
   *
   * @returns the length of the screen output at the match, to wait for what comes next
   * @throws {Error} with the screen so far after `timeoutMs`
   */
  async waitFor(pattern: RegExp, from = 0, timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.screen.slice(from))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen:\n${this.screen}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.screen.length;
  }

  /** Waits for the program to end (SIGKILL after `timeoutMs`), then closes everything. */
  async finish(timeoutMs = 15_000): Promise<Deno.CommandStatus> {
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), timeoutMs);
    try {
      const status = await this.#child.status;
      await this.#writer.close().catch(() => {});
      await this.#done;
      return status;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Runs one of the project's servers as a child process for integration
 * tests: a fresh data root, start-up on port 0, the "listening" line, and a
 * clean stop that leaves no open resources behind (tests run with
 * `--sanitize-resources --sanitize-ops`). Protocol-neutral, for SMTP and POP3.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, where the entry points and userlogincred.txt live. */
export const REPO_ROOT: string = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** The seed's three users, as spelled in the repository's userlogincred.txt. */
export const SEED_USERS = ["Stallings", "Fourouzan", "Andrew"] as const;

/** A temporary data root inside a directory of its own. */
export interface TempRoot {
  /** The directory holding `root`; nothing else writes here. */
  dir: string;
  /** The data root passed as `--root`. */
  root: string;
  /** Removes `dir` and everything in it. */
  remove(): Promise<void>;
}

/**
 * Makes `DIR/root/` in a new temporary directory, holding a copy of the
 * repository's userlogincred.txt unless `credentials` gives other text
 * (`null` leaves the file out).
 */
export async function makeTempRoot(credentials?: string | null): Promise<TempRoot> {
  const dir = await Deno.makeTempDir({ prefix: "mail_it_" });
  const root = join(dir, "root");
  await Deno.mkdir(root);
  if (credentials === undefined) {
    await Deno.copyFile(join(REPO_ROOT, "userlogincred.txt"), join(root, "userlogincred.txt"));
  } else if (credentials !== null) {
    await Deno.writeTextFile(join(root, "userlogincred.txt"), credentials);
  }
  return { dir, root, remove: () => Deno.remove(dir, { recursive: true }) };
}

/** How to start a server process. */
export interface SpawnOptions {
  /** Entry point relative to the repository root, e.g. "smtpmail.ts". */
  script: string;
  /** Arguments after the script. */
  args: string[];
  /** Working directory of the child. */
  cwd: string;
  /** Matches the "listening" line on stdout; group 1 is the port. */
  ready: RegExp;
  /** Milliseconds to wait for the ready line. */
  timeoutMs?: number;
  /** Deno's permission flags (e.g. a task's); `--allow-all` when absent. */
  permissions?: readonly string[];
}

/** A started server. */
export interface ServerProcess {
  /** The port it listens on, from its ready line. */
  port: number;
  /** The child process. */
  process: Deno.ChildProcess;
  /** SIGTERM, then waits for the exit and the end of both output streams. Idempotent. */
  stop(): Promise<Deno.CommandStatus>;
  /** SIGKILL, then waits as `stop` does. */
  kill(): Promise<Deno.CommandStatus>;
  /** Everything written to stderr so far. */
  stderrText(): string;
  /** Everything written to stdout so far. */
  stdoutText(): string;
}

/** What `runToEnd` collects from a short-lived process. */
export interface Finished {
  /** Exit status. */
  status: Deno.CommandStatus;
  /** Standard output as text. */
  stdout: string;
  /** Standard error as text. */
  stderr: string;
}

/** Arguments that run a repository script with Deno, with all permissions unless `permissions` are given. */
export function denoArgs(script: string, args: string[], permissions: readonly string[] = ["--allow-all"]): string[] {
  return ["run", ...permissions, "--quiet", join(REPO_ROOT, script), ...args];
}

/** Runs a repository script to its end with stdin closed (for CLI error cases). */
export async function runToEnd(script: string, args: string[], cwd: string): Promise<Finished> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: denoArgs(script, args),
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    status: { success: out.success, code: out.code, signal: out.signal },
    stdout: text(out.stdout),
    stderr: text(out.stderr),
  };
}

/** Reads a stream to its end, appending decoded text to `sink` as it comes. */
async function drain(stream: ReadableStream<Uint8Array>, sink: { text: string }, onText: () => void): Promise<void> {
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    sink.text += text;
    onText();
  }
  onText();
}

/**
 * Starts a server and resolves once its ready line appeared on stdout.
 *
 * @throws {Error} with the child's stderr when it exits or stays silent
 *   before `timeoutMs` (the child is then stopped and fully reaped)
 */
export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: denoArgs(options.script, options.args, options.permissions),
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = { text: "" };
  const err = { text: "" };
  let outDone = false;
  const ready = Promise.withResolvers<number>();
  const check = () => {
    const m = options.ready.exec(out.text);
    if (m) ready.resolve(Number(m[1]));
    else if (outDone) ready.reject(new Error(`server exited before it listened; stderr:\n${err.text}`));
  };
  const drains = Promise.all([
    drain(child.stdout, out, check).finally(() => {
      outDone = true;
      check();
    }),
    drain(child.stderr, err, () => {}),
  ]);
  let status: Promise<Deno.CommandStatus> | undefined;
  const end = (signal: Deno.Signal) => {
    if (status === undefined) {
      try {
        child.kill(signal);
      } catch {
        // Already exited: nothing to signal.
      }
      status = child.status.then(async (s) => {
        await drains;
        return s;
      });
    }
    return status;
  };
  const timer = setTimeout(
    () => ready.reject(new Error(`no ready line within ${options.timeoutMs ?? 20_000} ms; stderr:\n${err.text}`)),
    options.timeoutMs ?? 20_000,
  );
  try {
    const port = await ready.promise;
    return {
      port,
      process: child,
      stop: () => end("SIGTERM"),
      kill: () => end("SIGKILL"),
      stderrText: () => err.text,
      stdoutText: () => out.text,
    };
  } catch (error) {
    await end("SIGKILL");
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a field such as "VmRSS" or "VmHWM" of /proc/PID/status, in bytes. */
export async function procMemory(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** Lists every path under `dir`, relative and sorted, directories marked with a trailing "/". */
export async function listTree(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (rel: string) => {
    for await (const entry of Deno.readDir(join(dir, rel))) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      found.push(entry.isDirectory ? `${path}/` : path);
      if (entry.isDirectory) await walk(path);
    }
  };
  await walk("");
  return found.sort();
}

/**
 * Runs a program to its end, feeding it `input` on stdin (for real clients
 * such as python3 and curl).
 */
export async function runWithInput(cmd: string, args: string[], input: Uint8Array): Promise<Finished> {
  const child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  const fed = writer.write(input).then(() => writer.close()).catch(() => {});
  const [out] = await Promise.all([child.output(), fed]);
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    status: { success: out.success, code: out.code, signal: out.signal },
    stdout: text(out.stdout),
    stderr: text(out.stderr),
  };
}

/**
 * Polls `check` every 20 ms until it returns true.
 *
 * @throws {Error} naming `what` when `timeoutMs` passes first
 */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `deno task -q TASK ARGS...` in the repository with stdin closed; resolves to its exit code and output. */
export async function runTask(name: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", name, ...args],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

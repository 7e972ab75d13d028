/**
 * Process and file lifecycle for the POP3 benchmark: servers and temp dirs
 * that are undone on SIGINT/SIGTERM as well as at the end, time limits, and
 * how to start our `popserver.ts` on a temp data root.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningServer, startServer } from "../process.ts";
import type { Launch } from "../server_spec.ts";
import type { BenchUser } from "./dovecot.ts";
import { taskArgs } from "../task_args.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** The users of the repository's userlogincred.txt. */
export async function readUsers(): Promise<BenchUser[]> {
  const text = await Deno.readTextFile(join(REPO, "userlogincred.txt"));
  return text.split(/\r?\n/).filter((l) => l.trim() !== "").map((line) => {
    const [name, password] = line.trim().split(/\s+/);
    return { name, password };
  });
}

/** What must be undone if the run is interrupted: servers to stop, then temp dirs to remove. */
const pending = new Set<() => Promise<void>>();

/** Starts a server, stopping it on interrupt too. */
export async function start(launch: Launch, port: number): Promise<RunningServer> {
  const server = await startServer(launch, port);
  const stop = server.stop;
  pending.add(stop);
  return {
    ...server,
    stop: () => {
      pending.delete(stop);
      return stop();
    },
  };
}

/** Makes a temp dir, removing it on interrupt too; `remove` removes it at the end. */
export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await Deno.makeTempDir({ prefix });
  const remove = () => Deno.remove(path, { recursive: true });
  pending.add(remove);
  return {
    path,
    remove: () => {
      pending.delete(remove);
      return remove();
    },
  };
}

/** On SIGINT or SIGTERM: stop the servers, remove the temp dirs, exit 130. */
export async function interrupted(): Promise<never> {
  console.error("\ninterrupted: stopping servers and removing temp dirs");
  for (const undo of [...pending].reverse()) await undo().catch(() => {});
  Deno.exit(130);
}

/** Rejects after `ms` unless `promise` settles first. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last lines of a log file, or why it cannot be read. */
export async function tail(path: string, lines = 20): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).split("\n").slice(-lines).join("\n");
  } catch (error) {
    return `(cannot read: ${(error as Error).message})`;
  }
}

/** A data root for `popserver.ts` in `dir`, and how to start it, with `extra` flags. */
export async function preparePopserver(dir: string, port: number, extra: string[] = []): Promise<Launch> {
  await Deno.copyFile(join(REPO, "userlogincred.txt"), join(dir, "userlogincred.txt"));
  return {
    cmd: Deno.execPath(),
    args: [...await taskArgs("pop3", dir), String(port), "--root", dir, ...extra],
    readyText: "listening",
  };
}

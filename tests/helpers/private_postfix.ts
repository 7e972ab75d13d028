/**
 * A private Postfix (Debian `postfix`, `postfix -c DIR`): its configuration,
 * queue, data and log in one directory, its smtpd on one loopback port,
 * nothing chrooted, started and stopped without touching /etc/postfix or a
 * system Postfix. The recipe of shared/DENO.md, "A private Postfix"; the
 * relaying client of the tests (`postfix.ts`) and the benchmark's Postfix
 * peer (`bench/postfix_peer.ts`) add their own main.cf settings. Needs root,
 * as Postfix does.
 *
 * @module
 */

import { join } from "node:path";
import { decode } from "./bytes.ts";
import { sleep } from "./server_process.ts";

/** Where Debian's postfix package keeps the prototype configuration. */
const PROTO_DIR = "/etc/postfix";
/** The host name Postfix gives itself: in its greeting, its EHLO and the From: of its bounces. */
export const POSTFIX_HOSTNAME = "postfix.test";
/** How long `postfix stop` may take before what is left is killed. */
const STOP_TIMEOUT_MS = 10_000;

/** What a private Postfix is made of, beyond the private base. */
export interface PrivatePostfixOptions {
  /**
   * Its configuration directory, made when missing; queue, data and log go
   * inside. It and its parents must be searchable by the postfix user.
   */
  dir: string;
  /** The port on 127.0.0.1 its smtpd listens on. */
  port: number;
  /** main.cf settings applied over the private base. */
  settings: Record<string, string>;
  /** Lookup tables to write into `dir` and build with `postmap` (readable by root only): file name to its text. */
  maps?: Record<string, string>;
  /** Aliases (name to target), built with `postalias` into `dir`/aliases and made `alias_maps`; none when unset. */
  aliases?: Record<string, string>;
}

/** A running private Postfix. */
export interface PrivatePostfix {
  /** Its configuration directory. */
  dir: string;
  /** The port of its smtpd on 127.0.0.1. */
  port: number;
  /** Its log (`maillog_file`) so far, empty before it wrote one. */
  log(): Promise<string>;
  /**
   * Runs one of Postfix's commands on this instance (`NAME -c DIR ARGS`).
   *
   * @returns its standard output
   * @throws {Error} with its output and the log when it fails
   */
  command(name: string, args: string[]): Promise<string>;
  /** The ids of its processes alive now: master and every daemon. */
  processes(): number[];
  /**
   * `postfix stop`, then waits until none of its processes is left, killing
   * what is left after 10 s.
   *
   * @throws {Error} when a process outlived the timeout (it was then killed)
   */
  stop(): Promise<void>;
}

/**
 * Configures and starts a private Postfix in `options.dir`.
 *
 * @throws {Error} with Postfix's output and log when a step fails; nothing is left running then.
 */
export async function startPrivatePostfix(options: PrivatePostfixOptions): Promise<PrivatePostfix> {
  const { dir } = options;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.chmod(dir, 0o755); // Postfix's daemons drop to the postfix user
  await configure(options);
  await Deno.mkdir(join(dir, "queue"), { mode: 0o755 }); // postfix start makes what is inside
  try {
    await run("postfix", ["-c", dir, "start"], dir);
  } catch (err) {
    await stop(dir).catch(() => {});
    throw err;
  }
  return {
    dir,
    port: options.port,
    log: () => readLog(dir),
    command: (name, args) => run(name, ["-c", dir, ...args], dir),
    processes: () => processesIn(dir),
    stop: () => stop(dir),
  };
}

/** Writes main.cf, master.cf, the maps and the aliases into the directory. */
async function configure(options: PrivatePostfixOptions): Promise<void> {
  const { dir, port } = options;
  const postconf = (args: string[]) => run("postconf", ["-c", dir, ...args], dir);
  await Deno.copyFile(join(PROTO_DIR, "main.cf.proto"), join(dir, "main.cf"));
  await Deno.copyFile(join(PROTO_DIR, "master.cf.proto"), join(dir, "master.cf"));
  // Their empty values in main.cf.proto break postmap and postalias.
  await postconf([
    "-X",
    "setgid_group",
    "sendmail_path",
    "newaliases_path",
    "mailq_path",
    "html_directory",
    "manpage_directory",
    "sample_directory",
    "readme_directory",
    "debugger_command",
  ]);
  const aliases = join(dir, "aliases");
  const aliasMaps = options.aliases ? `hash:${aliases}` : "";
  const settings = {
    compatibility_level: "3.6",
    queue_directory: join(dir, "queue"),
    data_directory: join(dir, "data"),
    maillog_file: join(dir, "maillog"),
    maillog_file_prefixes: dir,
    myhostname: POSTFIX_HOSTNAME,
    alias_maps: aliasMaps,
    alias_database: aliasMaps,
    inet_interfaces: "loopback-only",
    inet_protocols: "ipv4",
    mynetworks: "127.0.0.0/8",
    ...options.settings,
  };
  await postconf(["-e", ...Object.entries(settings).map(([k, v]) => `${k} = ${v}`)]);
  // Its smtpd on our own loopback port instead of port 25, nothing chrooted.
  await postconf(["-MX", "smtp/inet"]);
  await postconf(["-M", `127.0.0.1:${port}/inet=127.0.0.1:${port} inet n - n - - smtpd`]);
  await postconf(["-F", "*/*/chroot=n"]);
  for (const [name, text] of Object.entries(options.maps ?? {})) {
    await Deno.writeTextFile(join(dir, name), text, { mode: 0o600 });
    await run("postmap", ["-c", dir, `hash:${join(dir, name)}`], dir);
  }
  if (options.aliases) {
    const lines = Object.entries(options.aliases).map(([name, target]) => `${name}: ${target}\n`);
    await Deno.writeTextFile(aliases, lines.join(""));
    await run("postalias", ["-c", dir, `hash:${aliases}`], dir);
  }
}

/** `postfix stop`, then waits for every process working in `dir` to end; kills what is left after the timeout. */
async function stop(dir: string): Promise<void> {
  const postfix = (command: string) => run("postfix", ["-c", dir, command], dir);
  await postfix("stop").catch(() => postfix("abort").catch(() => ""));
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  for (let left = processesIn(dir); left.length > 0; left = processesIn(dir)) {
    if (Date.now() > deadline) {
      for (const pid of left) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // It ended in the meantime.
        }
      }
      await sleep(100);
      const still = processesIn(dir);
      if (still.length > 0) throw new Error(`Postfix processes ${still.join(", ")} outlived a SIGKILL`);
      throw new Error(`Postfix processes ${left.join(", ")} were still running ${STOP_TIMEOUT_MS} ms after stop`);
    }
    await sleep(50);
  }
}

/** The processes whose working directory is `dir` or inside it: Postfix's master and daemons chdir to the queue. */
function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let cwd: string;
    try {
      cwd = Deno.readLinkSync(`/proc/${entry.name}/cwd`);
    } catch {
      continue; // gone, a zombie, or not ours to look at: none of these is a running Postfix process
    }
    if (cwd === dir || cwd.startsWith(`${dir}/`)) pids.push(Number(entry.name));
  }
  return pids;
}

/** Postfix's log, empty until it has written one. */
async function readLog(dir: string): Promise<string> {
  try {
    return await Deno.readTextFile(join(dir, "maillog"));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  }
}

/**
 * Runs one of Postfix's commands to its end.
 *
 * @returns its standard output
 * @throws {Error} with its output and Postfix's log when it fails
 */
async function run(command: string, args: string[], dir: string): Promise<string> {
  const out = await new Deno.Command(command, { args, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${out.code}):\n${decode(out.stdout)}${decode(out.stderr)}\n` +
        `log:\n${await readLog(dir)}`,
    );
  }
  return decode(out.stdout);
}

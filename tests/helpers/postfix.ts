/**
 * Runs a private Postfix (Debian `postfix`, `postfix -c DIR`) as a relaying
 * client of the server under test: everything it is handed goes to
 * `relayhost = [127.0.0.1]:PORT`, logged in with SASL (Cyrus SASL's PLAIN and
 * LOGIN modules, Debian `libsasl2-modules`). Its configuration, queue, data
 * and log live in one temporary directory; its own smtpd listens on a free
 * loopback port for submitting test mail. No local delivery (an empty
 * `mydestination`), so `@localhost` is relayed too. Needs root, as Postfix
 * does (the recipe in shared/DENO.md, "A private Postfix").
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

/** What the private Postfix relays to, and as whom. */
export interface PostfixRelayOptions {
  /** The port on 127.0.0.1 of the server under test, Postfix's relayhost. */
  relayPort: number;
  /** The SASL user name Postfix logs in with. */
  user: string;
  /** Its password. */
  password: string;
  /** More main.cf settings, applied last (e.g. `smtpd_forbid_bare_newline`). */
  settings?: Record<string, string>;
}

/** A running private Postfix. */
export interface Postfix {
  /** Its configuration directory; queue, data and log are inside. */
  dir: string;
  /** The port of its smtpd on 127.0.0.1, for submitting mail. */
  port: number;
  /** Its log (`maillog_file`) so far. */
  log(): Promise<string>;
  /** `postqueue -f`: tries everything queued again now. */
  flush(): Promise<void>;
  /** `postqueue -p`: the listing of its queue ("Mail queue is empty" when it is). */
  queue(): Promise<string>;
}

/**
 * Starts a private Postfix relaying through `options.relayPort`, runs `fn`,
 * then stops Postfix, waits until none of its processes is left (killing
 * stragglers after 10 s) and removes its directory, whatever `fn` did.
 *
 * @throws {Error} with Postfix's output and log when it does not start
 */
export async function withPostfixRelay<T>(
  options: PostfixRelayOptions,
  fn: (postfix: Postfix) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "postfix_" });
  let started = false;
  try {
    await Deno.chmod(dir, 0o755); // Postfix's daemons drop to the postfix user
    const port = freePort();
    await configure(dir, port, options);
    await Deno.mkdir(join(dir, "queue"), { mode: 0o755 }); // postfix start makes what is inside
    await postfix(dir, ["start"]);
    started = true;
    return await fn({
      dir,
      port,
      log: () => readLog(dir),
      flush: async () => void await run("postqueue", ["-c", dir, "-f"], dir),
      queue: () => run("postqueue", ["-c", dir, "-p"], dir),
    });
  } finally {
    if (started) await stop(dir);
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes main.cf and master.cf into `dir` and builds the password map. */
async function configure(dir: string, port: number, options: PostfixRelayOptions): Promise<void> {
  await Deno.copyFile(join(PROTO_DIR, "main.cf.proto"), join(dir, "main.cf"));
  await Deno.copyFile(join(PROTO_DIR, "master.cf.proto"), join(dir, "master.cf"));
  // Their empty values in main.cf.proto break postmap and postalias.
  await run("postconf", [
    "-c",
    dir,
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
  ], dir);
  const relay = `[127.0.0.1]:${options.relayPort}`;
  const settings = {
    compatibility_level: "3.6",
    queue_directory: join(dir, "queue"),
    data_directory: join(dir, "data"),
    maillog_file: join(dir, "maillog"),
    maillog_file_prefixes: dir,
    myhostname: POSTFIX_HOSTNAME,
    mydestination: "",
    alias_maps: "",
    alias_database: "",
    inet_interfaces: "loopback-only",
    inet_protocols: "ipv4",
    mynetworks: "127.0.0.0/8",
    relayhost: relay,
    smtp_host_lookup: "dns, native",
    smtp_sasl_auth_enable: "yes",
    smtp_sasl_password_maps: `hash:${join(dir, "sasl_passwd")}`,
    smtp_sasl_security_options: "noanonymous",
    // A delivery deferred by a passing fault is tried again within seconds, not minutes.
    queue_run_delay: "1s",
    minimal_backoff_time: "1s",
    maximal_backoff_time: "2s",
    ...options.settings,
  };
  await run("postconf", ["-c", dir, "-e", ...Object.entries(settings).map(([k, v]) => `${k} = ${v}`)], dir);
  // Its smtpd on our own loopback port instead of port 25, nothing chrooted.
  await run("postconf", ["-c", dir, "-MX", "smtp/inet"], dir);
  await run("postconf", ["-c", dir, "-M", `127.0.0.1:${port}/inet=127.0.0.1:${port} inet n - n - - smtpd`], dir);
  await run("postconf", ["-c", dir, "-F", "*/*/chroot=n"], dir);
  await Deno.writeTextFile(join(dir, "sasl_passwd"), `${relay} ${options.user}:${options.password}\n`, { mode: 0o600 });
  await run("postmap", ["-c", dir, `hash:${join(dir, "sasl_passwd")}`], dir);
}

/** Runs `postfix -c DIR COMMAND`. */
function postfix(dir: string, args: string[]): Promise<string> {
  return run("postfix", ["-c", dir, ...args], dir);
}

/** `postfix stop`, then waits for every process working in `dir` to end; kills what is left after the timeout. */
async function stop(dir: string): Promise<void> {
  await postfix(dir, ["stop"]).catch(() => postfix(dir, ["abort"]).catch(() => ""));
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

/** A loopback port that was free a moment ago. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

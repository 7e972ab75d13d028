/**
 * Runs Dovecot's POP3 server (Debian `dovecot-pop3d`) in the foreground
 * with a private configuration in a temporary directory, on a loopback
 * port: users from a passwd-file, mail in maildirs the test fills,
 * plaintext USER/PASS allowed without TLS, and every runtime path (base_dir,
 * state_dir, log) inside the directory. Needs root, as Dovecot switches the
 * mail processes to the user `nobody`.
 *
 * @module
 */

import { join } from "node:path";

/** The Dovecot master binary. */
const DOVECOT = "/usr/sbin/dovecot";
/** Dovecot's POP3 process, which only `dovecot-pop3d` installs. */
const POP3_BINARY = "/usr/lib/dovecot/pop3";
/** What to run when Dovecot is missing. */
const DOVECOT_INSTALL = "apt-get install -y --no-install-recommends dovecot-pop3d";

/** A user of the private passwd-file. */
export interface DovecotUser {
  /** The login name; Dovecot lower-cases it (auth_username_format %Lu). */
  name: string;
  /** The password, stored as {PLAIN}; it must not hold ":". */
  password: string;
}

/** A running private Dovecot. */
export interface Dovecot {
  /** The loopback port of its POP3 listener. */
  port: number;
  /** Puts a message (any line ends) into a user's maildir, as delivered and unread. */
  deliver(user: string, message: string): Promise<void>;
  /** The names of the message files in a user's maildir (new/ and cur/). */
  messages(user: string): Promise<string[]>;
  /** Dovecot's log so far. */
  log(): Promise<string>;
}

/**
 * Starts a private Dovecot, runs `fn`, then stops Dovecot and removes its
 * directory, whatever `fn` did.
 *
 * @throws {Error} saying what to install when Dovecot is missing, or with the log when it does not start
 */
export async function withDovecot<T>(users: DovecotUser[], fn: (dovecot: Dovecot) => Promise<T>): Promise<T> {
  await requireDovecot();
  const dir = await Deno.makeTempDir({ prefix: "dovecot_" });
  let child: Deno.ChildProcess | undefined;
  try {
    await Deno.chmod(dir, 0o755);
    const port = await freePort();
    const nobody = await lookUpNobody();
    for (const user of users) await makeMaildir(dir, user.name.toLowerCase(), nobody);
    const passwd = users.map((u) => `${u.name.toLowerCase()}:{PLAIN}${u.password}::::::\n`).join("");
    await Deno.writeTextFile(join(dir, "users"), passwd);
    await Deno.writeTextFile(join(dir, "dovecot.conf"), config(dir, port));
    child = new Deno.Command(DOVECOT, {
      args: ["-F", "-c", join(dir, "dovecot.conf")],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitForGreeting(port, child, dir);
    return await fn({
      port,
      deliver: (user, message) => deliver(dir, user.toLowerCase(), message, nobody),
      messages: (user) => listMessages(dir, user.toLowerCase()),
      log: () => Deno.readTextFile(join(dir, "dovecot.log")).catch(() => ""),
    });
  } finally {
    if (child !== undefined) {
      try {
        child.kill("SIGTERM");
      } catch {
        // It already exited (a bad configuration); its status is still collected below.
      }
      await child.status;
    }
    await Deno.remove(dir, { recursive: true });
  }
}

/** @throws {Error} with the install command when Dovecot's POP3 server is not installed */
async function requireDovecot(): Promise<void> {
  for (const path of [DOVECOT, POP3_BINARY]) {
    const found = await Deno.stat(path).then(() => true, () => false);
    if (!found) throw new Error(`${path} is missing: install Dovecot's POP3 server with "${DOVECOT_INSTALL}"`);
  }
}

/** The private configuration (Dovecot 2.3). */
function config(dir: string, port: number): string {
  return `# Private test instance: nothing outside ${dir} is used.
protocols = pop3
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
auth_failure_delay = 0
# Loopback is trusted, so failed logins in one test do not slow the next login (anvil auth penalty).
login_trusted_networks = 127.0.0.0/8
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${dir}/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/mail/%n
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${port}
  }
}
service imap-login {
  inet_listener imap {
    port = 0
  }
}
`;
}

/** A loopback port that was free a moment ago. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

async function lookUpNobody(): Promise<{ uid: number; gid: number }> {
  const line = (await Deno.readTextFile("/etc/passwd")).split("\n").find((l) => l.startsWith("nobody:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined) throw new Error("no user nobody in /etc/passwd");
  return { uid: Number(uid), gid: Number(gid) };
}

async function makeMaildir(dir: string, user: string, owner: { uid: number; gid: number }): Promise<void> {
  const home = join(dir, "mail", user);
  for (const sub of ["cur", "new", "tmp"]) await Deno.mkdir(join(home, "Maildir", sub), { recursive: true });
  for (
    const path of [
      join(dir, "mail"),
      home,
      join(home, "Maildir"),
      ...["cur", "new", "tmp"].map((s) => join(home, "Maildir", s)),
    ]
  ) {
    await Deno.chown(path, owner.uid, owner.gid);
  }
}

let delivered = 0;

async function deliver(dir: string, user: string, message: string, owner: { uid: number; gid: number }): Promise<void> {
  const text = message.replace(/\r\n/g, "\n");
  const name = `${Math.floor(Date.now() / 1000)}.M${++delivered}P${Deno.pid}.test`;
  const path = join(dir, "mail", user, "Maildir", "new", name);
  await Deno.writeTextFile(path, text);
  await Deno.chown(path, owner.uid, owner.gid);
}

async function listMessages(dir: string, user: string): Promise<string[]> {
  const names: string[] = [];
  for (const sub of ["new", "cur"]) {
    for await (const entry of Deno.readDir(join(dir, "mail", user, "Maildir", sub))) names.push(entry.name);
  }
  return names.sort();
}

/**
 * Connects until the POP3 greeting comes.
 *
 * @throws {Error} with Dovecot's log when it exits or stays silent for 15 s
 */
async function waitForGreeting(port: number, child: Deno.ChildProcess, dir: string): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !exited) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port }).catch(() => undefined);
    if (conn !== undefined) {
      const buffer = new Uint8Array(512);
      const n = await conn.read(buffer).catch(() => null);
      conn.close();
      if (n !== null && new TextDecoder().decode(buffer.subarray(0, n)).startsWith("+OK")) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const log = await Deno.readTextFile(join(dir, "dovecot.log")).catch(() => "(no log)");
  throw new Error(`Dovecot did not greet on 127.0.0.1:${port}${exited ? " (it exited)" : ""}; log:\n${log}`);
}

/**
 * A private Dovecot POP3 server for the benchmark: configuration, users and
 * maildirs in a temporary directory, run in the foreground on a loopback
 * port. Nothing of the system's Dovecot configuration is read.
 *
 * @module
 */

import { join } from "node:path";
import type { Launch } from "../server_spec.ts";
import { exists } from "../servers.ts";

/** Where `bench/install_peers.sh` leaves the binaries. */
const DOVECOT = "/usr/sbin/dovecot";
const POP3_BINARY = "/usr/lib/dovecot/pop3";

/** A user known to both servers. */
export interface BenchUser {
  /** Name as in userlogincred.txt. */
  name: string;
  /** Password as in userlogincred.txt. */
  password: string;
}

/** A prepared Dovecot instance. */
export interface DovecotSetup {
  /** How to start it. */
  launch: Launch;
  /** The maildir (holding new/, cur/, tmp/) of a user. */
  maildir(user: string): string;
  /** Gives the mail files to the mail user; call after filling. */
  handOver(): Promise<void>;
  /** Dovecot's log file, for error reports. */
  logPath: string;
}

/** Resolves to why Dovecot cannot run here, or `null` when it can. */
export async function dovecotUnavailable(): Promise<string | null> {
  if (!await exists(DOVECOT) || !await exists(POP3_BINARY)) {
    return `${POP3_BINARY} missing; run bench/install_peers.sh`;
  }
  if (Deno.uid() !== 0) return "the private Dovecot instance must be started as root";
  return null;
}

/** Resolves to Dovecot's version, e.g. "2.3.19.1 (9b53102964)". */
export async function dovecotVersion(): Promise<string> {
  const { stdout } = await new Deno.Command(DOVECOT, { args: ["--version"], stdout: "piped" }).output();
  return new TextDecoder().decode(stdout).trim();
}

/** The uid and gid of `nobody`, which owns the mail (Dovecot refuses uid 0). */
async function mailOwner(): Promise<{ uid: number; gid: number }> {
  const line = (await Deno.readTextFile("/etc/passwd")).split("\n").find((l) => l.startsWith("nobody:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined) throw new Error("Cannot find user nobody in /etc/passwd");
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Writes the configuration, the passwd-file and an empty maildir per user
 * under `dir`, and says how to start Dovecot on 127.0.0.1:`port`.
 *
 * Settings beyond the defaults are only those needed to run privately
 * (paths, listener, users, plaintext login without TLS); the service and
 * mail settings are Dovecot 2.3's defaults.
 */
export async function prepareDovecot(dir: string, port: number, users: BenchUser[]): Promise<DovecotSetup> {
  const { uid, gid } = await mailOwner();
  // Dovecot's unprivileged processes must reach the sockets and the mail.
  await Deno.chmod(dir, 0o755);
  const home = (user: string) => join(dir, "home", user);
  for (const user of users) {
    for (const sub of ["new", "cur", "tmp"]) {
      await Deno.mkdir(join(home(user.name), "Maildir", sub), { recursive: true });
    }
  }
  const passwd = join(dir, "passwd");
  await Deno.writeTextFile(
    passwd,
    users.map((u) => `${u.name}:{PLAIN}${u.password}:${uid}:${gid}::${home(u.name)}\n`).join(""),
    // The auth process runs as the dovecot user and reads this file.
    { mode: 0o644 },
  );
  const conf = join(dir, "dovecot.conf");
  const logPath = join(dir, "dovecot.log");
  await Deno.writeTextFile(conf, config(dir, port, passwd, logPath));
  return {
    launch: { cmd: DOVECOT, args: ["-F", "-c", conf] },
    maildir: (user) => join(home(user), "Maildir"),
    handOver: async () => {
      const status = await new Deno.Command("chown", { args: ["-R", `${uid}:${gid}`, join(dir, "home")] }).output();
      if (!status.success) throw new Error(`Cannot chown ${join(dir, "home")}`);
    },
    logPath,
  };
}

/** The private configuration (Dovecot 2.3 syntax). */
function config(dir: string, port: number, passwd: string, logPath: string): string {
  return `# Private Dovecot for bench/pop3_bench.ts; generated, not read from /etc/dovecot.
protocols = pop3
listen = 127.0.0.1
base_dir = ${join(dir, "run")}
state_dir = ${join(dir, "state")}
log_path = ${logPath}
ssl = no
# Dovecot 2.3 name; 2.4 calls it auth_allow_cleartext = yes.
disable_plaintext_auth = no
# Keep the case of user names (the default %Lu would look up "andrew").
auth_username_format = %u
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${passwd}
}
userdb {
  driver = passwd-file
  args = ${passwd}
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${port}
  }
}
`;
}

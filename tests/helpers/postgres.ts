/**
 * A private PostgreSQL cluster for tests: `initdb` and `pg_ctl` from
 * Debian's `postgresql` package in a temporary directory, on a free
 * loopback port, run as the `postgres` user when the tests run as root
 * (PostgreSQL refuses to run as root), removed afterwards.
 *
 * @module
 */

import { join } from "node:path";

/** A running private cluster. */
export interface PrivateCluster {
  /** A libpq URL of its `postgres` database, e.g. postgres://postgres@127.0.0.1:5433/postgres. */
  url: string;
  /** Its port on 127.0.0.1. */
  port: number;
  /** Stops the server at once (`pg_ctl -m immediate`), keeping its data. */
  halt(): Promise<void>;
  /** Starts it again on the same port after `halt`. */
  start(): Promise<void>;
  /** Stops it and removes its directory. Safe to call twice. */
  remove(): Promise<void>;
}

/** The directory holding `initdb` and `pg_ctl`, or undefined when PostgreSQL is not installed. */
export function postgresBin(): string | undefined {
  try {
    for (const entry of Deno.readDirSync("/usr/lib/postgresql")) {
      const bin = join("/usr/lib/postgresql", entry.name, "bin");
      if (exists(join(bin, "initdb")) && exists(join(bin, "pg_ctl"))) return bin;
    }
  } catch {
    // No /usr/lib/postgresql: not installed.
  }
  return undefined;
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Runs a command, as the postgres user when this process is root; throws with its output when it fails. */
async function run(bin: string, args: string[]): Promise<void> {
  const asRoot = Deno.uid() === 0;
  const quoted = [bin, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const command = asRoot
    ? new Deno.Command("su", { args: ["postgres", "-s", "/bin/sh", "-c", quoted], stdout: "piped", stderr: "piped" })
    : new Deno.Command(bin, { args, stdout: "piped", stderr: "piped" });
  const out = await command.output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    throw new Error(`${bin} ${args.join(" ")} failed: ${text}`);
  }
}

/** A free TCP port on 127.0.0.1. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Makes and starts a private cluster. Tests run it with `fsync=off` (a test
 * never survives a machine crash, and syncs would only slow it); the
 * benchmark asks for `durable`, PostgreSQL's defaults, so that a commit
 * costs what it costs in real use.
 *
 * @throws {Error} when PostgreSQL is not installed or will not start
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<PrivateCluster> {
  const bin = postgresBin();
  if (bin === undefined) throw new Error("PostgreSQL is not installed (apt-get install postgresql)");
  const dir = await Deno.makeTempDir({ prefix: "mail_pg_" });
  await Deno.chmod(dir, 0o755);
  if (Deno.uid() === 0) {
    const id = new TextDecoder().decode((await new Deno.Command("id", { args: ["-u", "postgres"] }).output()).stdout);
    const gid = new TextDecoder().decode((await new Deno.Command("id", { args: ["-g", "postgres"] }).output()).stdout);
    await Deno.chown(dir, Number(id), Number(gid));
  }
  const data = join(dir, "data");
  const port = freePort();
  const pgCtl = join(bin, "pg_ctl");
  const fsync = options.durable ? "" : " -c fsync=off";
  const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${fsync} -c max_connections=200`;
  const start = () => run(pgCtl, ["-D", data, "-l", join(dir, "log"), "-o", settings, "-w", "start"]);
  const halt = () => run(pgCtl, ["-D", data, "-m", "immediate", "-w", "stop"]);
  await run(join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  await start();
  let removed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    halt,
    start,
    remove: async () => {
      if (removed) return;
      removed = true;
      await halt().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * Runs the configurations of README.md's "Using it with your mail client"
 * as a user would: a directory laid out like a clone (userlogincred.txt,
 * `tls/` from `scripts/make_cert.sh`, a home directory for the clients),
 * where both servers run as `deno task servers` or `deno task servers:tls`
 * start them (the same flags, read from deno.json), on free ports that
 * replace the README's 2525, 1100, 4650 and 9950.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { decode } from "./bytes.ts";
import { readRecords } from "./mailbox_file.ts";
import { POP3_READY } from "./pop3_server.ts";
import { REPO_ROOT, type ServerProcess, spawnServer } from "./server_process.ts";
import { SmtpClient } from "./smtp_client.ts";
import { SMTP_READY } from "./smtp_server.ts";

/** Where the README writes the clone's directory in paths a client needs in full. */
const CLONE_PLACEHOLDER = "/path/to/smtpmail";
/** How long one client run may take before it is killed. */
const CLIENT_TIMEOUT_MS = 30_000;
/** The uid and gid of `nobody` on Debian, for clients that refuse to run as root. */
const NOBODY = "65534";

/** Which of the README's server commands runs. */
export type ServerMode = "servers" | "servers:tls";

/** What a client run left. */
export interface ClientRun {
  /** Exit status. */
  code: number;
  /** Standard output, as bytes. */
  stdout: Uint8Array;
  /** Standard output and error as text, for failure messages. */
  log: string;
}

/** A directory like a clone, with its servers running. */
export interface ClientSandbox {
  /** The clone-like directory: the servers' data root and the clients' working directory. */
  dir: string;
  /** The clients' HOME. */
  home: string;
  /** The ports that stand for the README's: 2525, 1100, and with TLS 4650 and 9950. */
  ports: Map<string, number>;
  /** The README's block `name`, with the ports and the clone's path filled in. */
  config(name: string): string;
  /** Runs `program` in `dir` with HOME set; as `nobody` when `asUser` and running as root. */
  run(program: string, args: string[], options?: { stdin?: string; asUser?: boolean }): Promise<ClientRun>;
  /** Runs a bash command line (the README's shell blocks and inline commands) as `run` does. */
  shell(command: string, options?: { asUser?: boolean }): Promise<ClientRun>;
  /** Delivers `message` to `to` through the SMTP server, as a plain client. */
  deliver(to: string, message: string): Promise<void>;
  /** The records in `user`'s mailbox file (none when it has none). */
  records(user: string): Promise<Uint8Array[]>;
}

/** The configuration blocks of README.md: a fenced block after `<!-- client-config: NAME -->`. */
export async function readmeBlocks(): Promise<Map<string, string>> {
  const readme = await Deno.readTextFile(join(REPO_ROOT, "README.md"));
  const blocks = new Map<string, string>();
  for (const m of readme.matchAll(/<!-- client-config: (\S+) -->\n\n```[a-z]*\n([^]*?)```\n/g)) {
    blocks.set(m[1], m[2]);
  }
  return blocks;
}

/** Whether README.md says `command` in an inline code span, as the tests run it. */
export async function readmeSays(command: string): Promise<boolean> {
  return (await Deno.readTextFile(join(REPO_ROOT, "README.md"))).includes(`\`${command}\``);
}

/**
 * Makes a sandbox, starts the servers as the task `mode` does, runs `fn`,
 * then stops the servers and removes the sandbox, whatever `fn` did.
 */
export async function withClientSandbox<T>(mode: ServerMode, fn: (box: ClientSandbox) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "client_configs_" });
  const servers: ServerProcess[] = [];
  try {
    const home = join(dir, "home");
    await Deno.mkdir(home);
    await Deno.copyFile(join(REPO_ROOT, "userlogincred.txt"), join(dir, "userlogincred.txt"));
    if (mode === "servers:tls") await makeCert(dir);
    if (Deno.uid() === 0) await Deno.chmod(dir, 0o755); // for clients run as nobody
    const ports = new Map<string, number>();
    for (const start of await serverCommands(mode)) {
      const server = await spawnServer({ ...start, cwd: dir });
      servers.push(server);
      ports.set(start.port, server.port);
      const tls = /listening for implicit TLS on 127\.0\.0\.1:(\d+)$/m.exec(server.stdoutText());
      if (start.tlsPort !== undefined) ports.set(start.tlsPort, Number(tls?.[1]));
    }
    const blocks = await readmeBlocks();
    const box: ClientSandbox = {
      dir,
      home,
      ports,
      config(name) {
        const block = blocks.get(name);
        assert.ok(block !== undefined, `README.md has no block <!-- client-config: ${name} -->`);
        return block.replaceAll(CLONE_PLACEHOLDER, dir).replace(/\b(2525|1100|4650|9950)\b/g, (port) => {
          const mapped = ports.get(port);
          assert.ok(mapped !== undefined, `block ${name} uses port ${port}, which ${mode} does not open`);
          return String(mapped);
        });
      },
      run: (program, args, options = {}) => runClient(dir, home, program, args, options),
      shell: (command, options = {}) => runClient(dir, home, "bash", ["-eo", "pipefail", "-c", command], options),
      async deliver(to, message) {
        const smtp = await SmtpClient.open(ports.get("2525")!);
        try {
          await smtp.send({ from: "stallings@localhost", to: [to], data: message });
          await smtp.quit();
        } finally {
          await smtp.close();
        }
      },
      records: async (user) => (await readRecords(dir, user).catch(() => ({ records: [] }))).records,
    };
    return await fn(box);
  } finally {
    for (const server of servers) await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** One server of a task such as `deno task smtp 2525 --tls-port 4650`. */
interface ServerStart {
  script: string;
  args: string[];
  permissions: string[];
  ready: RegExp;
  /** The README's port for its plain listener. */
  port: string;
  /** The README's port for its implicit-TLS listener, if any. */
  tlsPort?: string;
}

/**
 * The servers `mode` starts, read from deno.json: `deno task smtp PORT FLAGS & deno task pop3 PORT FLAGS`,
 * each with the Deno flags of its own task, on port 0 instead of the README's (for every listener).
 */
async function serverCommands(mode: ServerMode): Promise<ServerStart[]> {
  const tasks: Record<string, string> = JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.json"))).tasks;
  return tasks[mode].split(" & ").map((part) => {
    const [deno, task, name, port, ...flags] = part.trim().split(/\s+/);
    assert.deepEqual([deno, task], ["deno", "task"], `task ${mode}: ${part}`);
    const words = tasks[name].split(/\s+/);
    const scriptAt = words.findIndex((w) => w.endsWith(".ts"));
    const tlsAt = flags.indexOf("--tls-port");
    const tlsPort = tlsAt >= 0 ? flags[tlsAt + 1] : undefined;
    return {
      script: words[scriptAt],
      permissions: words.slice(2, scriptAt),
      // The other listeners' ports too (--tls-port, --http): free ones, not the README's.
      args: ["0", ...flags.map((flag, i) => ["--tls-port", "--http"].includes(flags[i - 1]) ? "0" : flag)],
      ready: name === "smtp" ? SMTP_READY : POP3_READY,
      port,
      tlsPort,
    };
  });
}

/** `deno task cert` in `dir`: tls/cert.pem and tls/key.pem. */
async function makeCert(dir: string): Promise<void> {
  const out = await new Deno.Command("bash", { args: [join(REPO_ROOT, "scripts", "make_cert.sh")], cwd: dir }).output();
  assert.equal(out.code, 0, decode(out.stderr));
  if (Deno.uid() === 0) await Deno.chmod(join(dir, "tls"), 0o755); // the certificate, not the key, for nobody
}

async function runClient(
  dir: string,
  home: string,
  program: string,
  args: string[],
  options: { stdin?: string; asUser?: boolean },
): Promise<ClientRun> {
  const drop = options.asUser === true && Deno.uid() === 0;
  if (drop) await chownTree(home);
  const child = new Deno.Command(drop ? "setpriv" : program, {
    args: drop ? [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", program, ...args] : args,
    cwd: dir,
    env: { HOME: home },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: out.stdout, log: decode(out.stdout) + decode(out.stderr) };
}

/** Gives `dir` and everything in it to nobody. */
async function chownTree(dir: string): Promise<void> {
  await Deno.chown(dir, Number(NOBODY), Number(NOBODY));
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) await chownTree(path);
    else await Deno.chown(path, Number(NOBODY), Number(NOBODY));
  }
}

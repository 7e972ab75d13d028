/**
 * Manage Mail on big mailboxes (issue 19): the time to the first screen and
 * the client's peak RSS, for `mailclient.ts` and for neomutt (`pop://`, its
 * header cache off), on the same mailboxes of 1,000, 10,000 and 100,000
 * messages served by our popserver, each client in a pseudo-terminal of
 * 80 x 24.
 *
 * mailclient: from typing "1" at the menu (connect, login, STAT, TOP for one
 * screen) to the page's prompt; neomutt: from its start (connect, login,
 * the headers of every message) to the first index line on the screen. The
 * server's own share, a login and STAT over a bare connection, is printed
 * first, so what grows with the mailbox can be told apart.
 *
 * Usage: bash bench/client_install.sh && deno run --allow-all bench/client_bench.ts [--sizes 1000,10000,100000]
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { clientPid, PtySession } from "../tests/helpers/client_process.ts";
import { listedMessage, writeMailbox } from "../tests/helpers/client_mailbox.ts";
import { freePort } from "./process.ts";
import { taskArgs } from "./task_args.ts";

const SIZE = { columns: 80, rows: 24 };
const PASSWORD = "@dministr@tor";
/** How long one client may take to show its first screen. */
const TIMEOUT_MS = 900_000;

/** One measurement. */
interface Result {
  client: string;
  messages: number;
  ms: number;
  peakRss: number;
}

/** Reads VmHWM (peak RSS) of process `pid`, in bytes. */
async function peakRss(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) * 1024;
}

/** Starts popserver on `root` as `deno task pop3` does; resolves once it listens. */
async function startPop3(root: string, port: number): Promise<Deno.ChildProcess> {
  const args = [...await taskArgs("pop3", root), String(port), "--root", root];
  const child = new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "null" }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  for (let seen = ""; !/listening/.test(seen);) {
    const { value, done } = await reader.read();
    if (done) throw new Error("popserver ended before it listened");
    seen += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return child;
}

/**
 * Times popserver's own part of opening the mailbox: a login and STAT over
 * a bare connection (USER, PASS, STAT and QUIT in one batch), in ms.
 */
async function serverLogin(port: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const lines = conn.readable.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    const until = async (pattern: RegExp) => {
      while (!pattern.test(seen)) {
        const { value, done } = await lines.read();
        if (done) throw new Error(`popserver closed the connection: ${seen}`);
        seen += value;
      }
    };
    await until(/\r\n/);
    const started = performance.now();
    await conn.write(new TextEncoder().encode(`USER Andrew\r\nPASS ${PASSWORD}\r\nSTAT\r\nQUIT\r\n`));
    await until(/^\+OK \d+ \d+\r\n/m);
    const ms = performance.now() - started;
    await until(/signing off/);
    return ms;
  } finally {
    conn.close();
  }
}

/** Times our client: log in, then from "1" to the first page's prompt. */
async function ours(port: number, messages: number): Promise<Result> {
  const args = ["127.0.0.1", String(freePort()), String(port)];
  const line = PtySession.clientLine(args, "", SIZE);
  const pty = await PtySession.start(line);
  try {
    let at = await pty.waitFor(/Username: $/);
    await pty.type(`Andrew\r${PASSWORD}\r`);
    at = await pty.waitFor(/\(1-3\): $/, at, TIMEOUT_MS);
    const started = performance.now();
    await pty.type("1\r");
    at = await pty.waitFor(new RegExp(`Mails 1-21 of ${messages}\\. .*: $`), at, TIMEOUT_MS);
    const ms = performance.now() - started;
    const rss = await peakRss(await clientPid(args));
    await pty.type("q3\r");
    await pty.finish();
    return { client: "mailclient", messages, ms, peakRss: rss };
  } catch (error) {
    await pty.finish(1000);
    throw error;
  }
}

/** Times neomutt from its start to the first index line. */
async function neomutt(port: number, messages: number, dir: string): Promise<Result> {
  const rc = join(dir, `muttrc-${port}`);
  await Deno.writeTextFile(
    rc,
    `set pop_pass="${PASSWORD}"\nset header_cache=""\nset message_cachedir=""\nset ssl_starttls=no\n` +
      `set ssl_force_tls=no\nset pop_reconnect=no\nset mail_check_stats=no\nset sort=mailbox-order\n` +
      `set folder="${dir}"\nset record=""\nset postponed=""\n`,
  );
  const url = `pop://Andrew@127.0.0.1:${port}/`;
  const started = performance.now();
  const pty = await PtySession.start(
    `stty cols ${SIZE.columns} rows ${SIZE.rows}; exec neomutt -n -F ${rc} -f ${url}`,
    "xterm",
  );
  try {
    await pty.waitFor(/sender\d+@example/, 0, TIMEOUT_MS);
    const ms = performance.now() - started;
    const rss = await peakRss(await neomuttPid(rc));
    await pty.type("q");
    await pty.finish(5000);
    return { client: "neomutt", messages, ms, peakRss: rss };
  } catch (error) {
    await pty.finish(1000);
    throw error;
  }
}

/** The pid of the neomutt started with config file `rc`. */
async function neomuttPid(rc: string): Promise<number> {
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
    if (cmdline.startsWith("neomutt\0") && cmdline.includes(`\0${rc}\0`)) return Number(entry.name);
  }
  throw new Error("neomutt's process not found");
}

/** Runs both clients on one mailbox of `messages` messages. */
async function measure(messages: number, withNeomutt: boolean, report: (result: Result) => void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "client_bench_" });
  const root = join(dir, "root");
  let server: Deno.ChildProcess | undefined;
  try {
    await Deno.mkdir(root);
    await Deno.copyFile(new URL("../userlogincred.txt", import.meta.url), join(root, "userlogincred.txt"));
    await writeMailbox(root, "Andrew", messages, (n) => listedMessage(n, `Benchmark message ${n}`));
    const port = freePort();
    server = await startPop3(root, port);
    // The first login indexes the mailbox; the second is what every later session pays.
    await serverLogin(port);
    const loginMs = await serverLogin(port);
    report({ client: "popserver login+STAT", messages, ms: loginMs, peakRss: NaN });
    report(await ours(port, messages));
    if (!withNeomutt) return;
    try {
      report(await neomutt(port, messages, dir));
    } catch {
      // Its screen is too long to print: a row says it did not get there.
      report({ client: "neomutt", messages, ms: NaN, peakRss: NaN });
    }
  } finally {
    server?.kill("SIGTERM");
    await server?.status;
    await Deno.remove(dir, { recursive: true });
  }
}

function mib(bytes: number): string {
  return Number.isNaN(bytes) ? "-" : `${(bytes / 1048576).toFixed(1)} MiB`;
}

const { values } = parseArgs({ args: Deno.args, options: { sizes: { type: "string", default: "1000,10000,100000" } } });
const sizes = values.sizes.split(",").map(Number);
const withNeomutt = new Deno.Command("sh", { args: ["-c", "command -v neomutt"], stdout: "null" }).outputSync().success;
if (!withNeomutt) console.error("neomutt is not installed (bash bench/client_install.sh): measuring mailclient only");
console.log("| messages | client               | time to first screen | peak RSS  |");
console.log("| -------: | -------------------- | -------------------: | --------: |");
/** Prints one row as soon as it is measured. */
function printRow(r: Result): void {
  const ms = Number.isNaN(r.ms)
    ? `over ${TIMEOUT_MS / 1000} s`
    : r.ms >= 10_000
    ? `${(r.ms / 1000).toFixed(1)} s`
    : `${r.ms.toFixed(0)} ms`;
  console.log(
    `| ${r.messages.toLocaleString("en-US").padStart(8)} | ${r.client.padEnd(20)} | ${ms.padStart(20)} | ${
      mib(r.peakRss).padStart(9)
    } |`,
  );
}

for (const messages of sizes) await measure(messages, withNeomutt, printRow);

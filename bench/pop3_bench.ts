/**
 * POP3 benchmark: login+STAT, LIST+UIDL and RETR of every message on a
 * maildrop of 10,000 messages of 4 KiB, for our `popserver.ts` on the file
 * store and, in the same run, on the PostgreSQL store and a private Dovecot
 * (`dovecot-pop3d`), all holding the same messages; plus our server's peak
 * memory with small and large maildrops. See bench/POP3.md.
 *
 * Usage: deno run --allow-all bench/pop3_bench.ts [--messages 10000]
 *   [--size 4096] [--rounds 5] [--batch 100] [--rss-messages 1000]
 *   [--servers popserver,popserver-pg,dovecot] [--timeout 300] [--check]
 *
 * Exits 1 when a measurement fails or the servers disagree on the messages,
 * with `--check` also when a target is missed; 2 on bad arguments.
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { PostgresMailStore } from "../lib/mailbox/postgres/postgres_store.ts";
import { freshDatabase, postgresUnavailable, removeCluster } from "./postgres_db.ts";
import { freePort, peakRss, type RunningServer } from "./process.ts";
import type { Pop3Login } from "./pop3/client.ts";
import { breakdownList, formatBreakdown } from "./pop3/diagnose.ts";
import {
  type BenchUser,
  type DovecotSetup,
  dovecotUnavailable,
  dovecotVersion,
  prepareDovecot,
} from "./pop3/dovecot.ts";
import { fillOurs, writeMaildirMessage } from "./pop3/mail.ts";
import { interrupted, preparePopserver, readUsers, start, tail, tempDir, within } from "./pop3/lifecycle.ts";
import { checkSameMessages, connectQuit, listUidl, loginStat, retrPipelined, retrPoplib } from "./pop3/measure.ts";
import {
  checkTargets,
  emptyFigures,
  formatComparison,
  formatRss,
  type RssPoint,
  type ServerFigures,
} from "./pop3/report.ts";

/** Benchmark settings, from the command line. */
export interface Pop3BenchOptions {
  /** Messages in the maildrop of the comparison. */
  messages: number;
  /** Octets per message as submitted, before our trace line. */
  size: number;
  /** Warm rounds per server. */
  rounds: number;
  /** RETR commands per write of the pipelining client. */
  batch: number;
  /** Maildrop sizes for the memory check of our server. */
  rssMessages: number[];
  /** Whether Dovecot is measured too. */
  dovecot: boolean;
  /** Whether our server on the PostgreSQL store is measured too. */
  postgres: boolean;
  /** Time limit of one measurement. */
  timeoutMs: number;
  /** Exit 1 when a target is missed. */
  check: boolean;
}

const USAGE = "usage: pop3_bench.ts [--messages 10000] [--size 4096] [--rounds 5] [--batch 100] " +
  "[--rss-messages 1000[,100000]] [--servers popserver,popserver-pg,dovecot] [--timeout SECONDS] [--check]";
/** The user whose maildrop is measured. */
const USER = "Andrew";

function positiveInts(text: string, flag: string): number[] {
  const values = text.split(",").filter((s) => s.trim() !== "").map((part) => Number(part.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1)) throw new RangeError(`Cannot parse --${flag}: ${text}`);
  return values;
}

/**
 * Parses the command line.
 *
 * @throws {RangeError|TypeError} on a bad flag or value.
 */
export function parseOptions(argv: string[]): Pop3BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      messages: { type: "string", default: "10000" },
      size: { type: "string", default: "4096" },
      rounds: { type: "string", default: "5" },
      batch: { type: "string", default: "100" },
      "rss-messages": { type: "string", default: "1000" },
      servers: { type: "string", default: "popserver,popserver-pg,dovecot" },
      timeout: { type: "string", default: "300" },
      check: { type: "boolean", default: false },
    },
  });
  const servers = values.servers.split(",").map((s) => s.trim());
  for (const name of servers) {
    if (!["popserver", "popserver-pg", "dovecot"].includes(name)) throw new RangeError(`Cannot find server: ${name}`);
  }
  if (!servers.includes("popserver")) throw new RangeError("Cannot run without popserver: it is what is measured");
  const one = (name: keyof typeof values) => positiveInts(values[name] as string, name)[0];
  return {
    messages: one("messages"),
    size: one("size"),
    rounds: one("rounds"),
    batch: one("batch"),
    rssMessages: values["rss-messages"] === "0" ? [] : positiveInts(values["rss-messages"], "rss-messages"),
    dovecot: servers.includes("dovecot"),
    postgres: servers.includes("popserver-pg"),
    timeoutMs: one("timeout") * 1000,
    check: values.check,
  };
}

/** A server under test during the main run. */
interface Target {
  name: string;
  login: Pop3Login;
  server: RunningServer;
  figures: ServerFigures;
}

/** One round of every measurement against one server. */
async function measureRound(t: Target, opts: Pop3BenchOptions, octets: Map<string, number>): Promise<void> {
  const limit = <T>(what: string, p: Promise<T>) => within(opts.timeoutMs, `${t.name} ${what}`, p);
  const stat = await limit("login+STAT", loginStat(t.login));
  if (stat.value.count !== opts.messages) {
    throw new Error(`${t.name}: STAT says ${stat.value.count} messages, expected ${opts.messages}`);
  }
  const list = await limit("LIST+UIDL", listUidl(t.login));
  const poplib = await limit("RETR (poplib)", retrPoplib(t.login, opts.messages));
  const pipelined = await limit("RETR (pipelined)", retrPipelined(t.login, opts.messages, opts.batch));
  t.figures.login.push(stat.ms);
  t.figures.listUidl.push(list.ms);
  t.figures.retrPoplib.push(poplib.ms);
  t.figures.retrPipelined.push(pipelined.ms);
  // Both clients' octet counts must agree between servers.
  const counted: [string, number][] = [
    ["STAT", stat.value.octets],
    ["poplib RETR", poplib.value],
    ["pipelined RETR", pipelined.value],
  ];
  for (const [key, value] of counted) {
    const seen = octets.get(key);
    if (seen === undefined) octets.set(key, value);
    else if (seen !== value) throw new Error(`MISMATCH: ${t.name} ${key} octets ${value}, another run saw ${seen}`);
  }
  console.log(
    `  ${t.name.padEnd(9)} login+STAT ${stat.ms.toFixed(1)} ms, LIST+UIDL ${list.ms.toFixed(1)} ms, ` +
      `RETR poplib ${poplib.ms.toFixed(0)} ms, RETR pipelined ${pipelined.ms.toFixed(0)} ms`,
  );
}

/** The main comparison at `opts.messages` messages; resolves to the figures. */
async function compare(
  opts: Pop3BenchOptions,
  users: BenchUser[],
): Promise<{ ours: ServerFigures; dovecot?: ServerFigures; postgres?: ServerFigures }> {
  const password = users.find((u) => u.name === USER)?.password;
  if (password === undefined) throw new Error(`Cannot find ${USER} in userlogincred.txt`);
  const temp = await tempDir("pop3_bench_");
  const dir = temp.path;
  const targets: Target[] = [];
  let setup: DovecotSetup | undefined;
  let postgresStore: PostgresMailStore | undefined;
  let postgres: Target | undefined;
  try {
    const oursRoot = join(dir, "popserver");
    await Deno.mkdir(oursRoot);
    const oursPort = freePort();
    const oursServer = await start(await preparePopserver(oursRoot, oursPort), oursPort);
    const ours: Target = {
      name: "popserver",
      login: { port: oursPort, user: USER, password },
      server: oursServer,
      figures: emptyFigures(),
    };
    targets.push(ours);
    if (opts.postgres) {
      const url = await freshDatabase();
      postgresStore = await PostgresMailStore.open({ url, application: "pop3_bench", log: console.log });
      const root = join(dir, "popserver-pg");
      await Deno.mkdir(root);
      const port = freePort();
      const server = await start(await preparePopserver(root, port, ["--store", url]), port);
      postgres = { name: "popserver-pg", login: { port, user: USER, password }, server, figures: emptyFigures() };
      targets.push(postgres);
    }
    if (opts.dovecot) {
      // Dovecot's unprivileged processes must pass through the temp dir.
      await Deno.chmod(dir, 0o711);
      const dovecotDir = join(dir, "dovecot");
      await Deno.mkdir(dovecotDir);
      const port = freePort();
      setup = await prepareDovecot(dovecotDir, port, users);
      const server = await start(setup.launch, port);
      targets.push({ name: "dovecot", login: { port, user: USER, password }, server, figures: emptyFigures() });
    }
    // The servers are running when the mail arrives, as in real use.
    const maildir = setup?.maildir(USER);
    const fill = await fillOurs(
      oursRoot,
      USER,
      opts.messages,
      opts.size,
      maildir ? (n, message) => writeMaildirMessage(maildir, n, message) : undefined,
      postgresStore ? [postgresStore] : [],
    );
    await setup?.handOver();
    console.log(
      `filled: ${opts.messages} messages of ${opts.size} octets, both maildrops, in ${(fill.ms / 1000).toFixed(1)} s`,
    );
    // One connection without a login to each server first, so that no first figure includes the client's
    // own first connection; the maildrops are not opened.
    for (const t of targets) await within(opts.timeoutMs, `${t.name} connection`, connectQuit(t.login.port));
    for (const t of targets) {
      const first = await within(opts.timeoutMs, `${t.name} first login`, loginStat(t.login));
      t.figures.firstLogin = first.ms;
      console.log(`  ${t.name.padEnd(9)} first login+STAT ${first.ms.toFixed(1)} ms (${first.value.count} messages)`);
    }
    for (const other of targets.slice(1)) {
      await checkSameMessages(ours.login, other.login, opts.messages);
      console.log(`  same messages: RETR 1 and RETR last are byte-identical on popserver and ${other.name}`);
    }
    const octets = new Map<string, number>();
    for (let round = 1; round <= opts.rounds; round++) {
      console.log(`round ${round}`);
      // Alternate who goes first so that drift hits both alike.
      const order = round % 2 ? targets : [...targets].reverse();
      for (const t of order) await measureRound(t, opts, octets);
    }
    ours.figures.peakRss = await peakRss(oursServer.pid);
    if (postgres) postgres.figures.peakRss = await peakRss(postgres.server.pid);
    console.log(`\n${formatBreakdown(await breakdownList(oursRoot, USER, opts.rounds))}`);
    return {
      ours: ours.figures,
      dovecot: targets.find((t) => t.name === "dovecot")?.figures,
      postgres: postgres?.figures,
    };
  } catch (error) {
    for (const t of targets) console.error(`--- ${t.name} output:\n${t.server.output()}`);
    if (setup) console.error(`--- ${setup.logPath}:\n${await tail(setup.logPath)}`);
    throw error;
  } finally {
    for (const t of targets) await t.server.stop();
    await postgresStore?.close();
    await removeCluster();
    await temp.remove();
  }
}

/** Our server's peak RSS with `messages` in the maildrop, after a full session. */
async function measureRss(
  messages: number,
  opts: Pop3BenchOptions,
  login: Omit<Pop3Login, "port">,
): Promise<RssPoint> {
  const temp = await tempDir("pop3_bench_rss_");
  const dir = temp.path;
  try {
    const port = freePort();
    const server = await start(await preparePopserver(dir, port), port);
    try {
      const idle = await peakRss(server.pid);
      await fillOurs(dir, USER, messages, opts.size);
      const full = { ...login, port };
      await within(opts.timeoutMs, "login+STAT", loginStat(full));
      const afterLogin = await peakRss(server.pid);
      await within(opts.timeoutMs, "LIST+UIDL", listUidl(full));
      const afterList = await peakRss(server.pid);
      await within(opts.timeoutMs, "RETR (pipelined)", retrPipelined(full, messages, opts.batch));
      const point: RssPoint = { messages, idle, login: afterLogin, list: afterList, peak: await peakRss(server.pid) };
      console.log(`  popserver with ${messages} messages: peak RSS ${(point.peak / 2 ** 20).toFixed(1)} MiB`);
      return point;
    } finally {
      await server.stop();
    }
  } finally {
    await temp.remove();
  }
}

/** Runs the benchmark; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let opts: Pop3BenchOptions;
  try {
    opts = parseOptions(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (opts.postgres) {
    const why = await postgresUnavailable();
    if (why) {
      console.log(`SKIP popserver-pg: ${why}`);
      opts.postgres = false;
    }
  }
  if (opts.dovecot) {
    const why = await dovecotUnavailable();
    if (why) {
      console.log(`SKIP dovecot: ${why}`);
      opts.dovecot = false;
    } else {
      console.log(`dovecot ${await dovecotVersion()}`);
    }
  }
  Deno.addSignalListener("SIGINT", interrupted);
  Deno.addSignalListener("SIGTERM", interrupted);
  const users = await readUsers();
  const password = users.find((u) => u.name === USER)?.password ?? "";
  try {
    const { ours, dovecot, postgres } = await compare(opts, users);
    if (opts.rssMessages.length > 0) console.log("\nmemory of popserver by maildrop size:");
    const rss: RssPoint[] = [];
    for (const n of opts.rssMessages) rss.push(await measureRss(n, opts, { user: USER, password }));
    console.log(
      `\n${opts.messages} messages of ${opts.size} octets, ${opts.rounds} rounds, ` +
        `Python poplib one RETR at a time, pipelining client ${opts.batch} RETRs per batch\n`,
    );
    console.log(formatComparison(ours, dovecot, opts.batch, postgres));
    if (rss.length > 0) console.log(`\n${formatRss(rss)}`);
    const verdicts = checkTargets(ours, dovecot, rss, postgres);
    if (verdicts.length > 0) console.log("\ntargets:");
    for (const v of verdicts) console.log(`  ${v.ok ? "PASS" : "MISS"} ${v.text}`);
    return opts.check && !verdicts.every((v) => v.ok) ? 1 : 0;
  } catch (error) {
    console.error(`FAILED: ${(error as Error).message}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}

/**
 * The programs from Debian packages that some tests drive as real peers
 * (fetchmail, swaks, Dovecot, smtp-sink), listed in `scripts/test_peers.txt`.
 * `deno task test` installs them first where it can; where it could not, the
 * tests that need a missing one are ignored, each with the reason in its
 * name, and each test file prints one line saying how many it skips and what
 * to install. A missing peer never fails a test.
 *
 * @module
 */

import { delimiter, join } from "node:path";

/** The list shared with `scripts/provision_test_peers.sh`. */
const LIST = new URL("../../scripts/test_peers.txt", import.meta.url);

/** A Debian package whose programs some tests run. */
export interface Peer {
  /** The Debian package name. */
  readonly package: string;
  /** Whether every program of the package the tests use is installed. */
  readonly available: boolean;
  /** Why its tests are skipped, e.g. "swaks not installed (apt-get install swaks)"; empty when available. */
  readonly reason: string;
}

/** Each package's probes, from the list. */
let probes: Map<string, string[]> | undefined;
/** The peers checked so far in this test file. */
const checked = new Map<string, Peer>();

/**
 * The peer from the package `name`, checked once per test file.
 *
 * @throws {RangeError} when `name` is not in `scripts/test_peers.txt`
 */
export function peer(name: string): Peer {
  probes ??= readList();
  const found = checked.get(name) ?? check(name, probes.get(name));
  checked.set(name, found);
  return found;
}

/** Reasons of the tests skipped in this file, counted until the file has registered its tests. */
const skipped = new Map<string, number>();

/**
 * The definition of a test that needs the programs of `needs`, for
 * `Deno.test(needing(peer("swaks"), name, fn))`. When one is missing the
 * test is ignored, its name says why, and the file prints
 * `skipping N tests: … (apt-get install …)` before its tests run.
 */
export function needing(
  needs: Peer | Peer[],
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
): Deno.TestDefinition {
  const missing = [needs].flat().filter((p) => !p.available);
  const reason = missing.map((p) => p.reason).join("; ");
  if (missing.length > 0) {
    if (skipped.size === 0) queueMicrotask(reportSkipped);
    skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
  }
  return { name: reason === "" ? name : `${name} (ignored: ${reason})`, ignore: missing.length > 0, fn };
}

/**
 * Registers `needing(needs, name, fn)`. Deno then reports the test at this
 * line, not the caller's: `Deno.test(needing(…))` keeps the test's own.
 */
export function peerTest(needs: Peer | Peer[], name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  Deno.test(needing(needs, name, fn));
}

/** Prints one line per reason; runs once the test file's module has been evaluated. */
function reportSkipped(): void {
  for (const [reason, count] of skipped) console.log(`skipping ${count} test${count === 1 ? "" : "s"}: ${reason}`);
  skipped.clear();
}

function readList(): Map<string, string[]> {
  const list = new Map<string, string[]>();
  for (const line of Deno.readTextFileSync(LIST).split("\n")) {
    const [name, ...probes] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (name) list.set(name, probes);
  }
  return list;
}

function check(name: string, probes: string[] | undefined): Peer {
  if (probes === undefined) throw new RangeError(`Cannot find test peer: ${name} is not in ${LIST.pathname}`);
  const absent = probes.find((probe) => !installed(probe));
  if (absent === undefined) return { package: name, available: true, reason: "" };
  const what = absent.startsWith("perl:") ? `the Perl module ${absent.slice(5)}` : absent;
  return { package: name, available: false, reason: `${what} not installed (apt-get install ${name})` };
}

/**
 * Whether `probe` is installed: an absolute path is a file that exists (a
 * program or a library; a `*` matches any characters within one name, for
 * Debian's multiarch directory under /usr/lib), a command name an executable
 * file on PATH, perl:Module a module perl loads.
 */
function installed(probe: string): boolean {
  if (probe.startsWith("perl:")) return perlHas(probe.slice(5));
  if (probe.startsWith("/")) return expand(probe).some((path) => stat(path)?.isFile === true);
  const dirs = (Deno.env.get("PATH") ?? "").split(delimiter).filter((d) => d !== "");
  return dirs.some((dir) => {
    const info = stat(join(dir, probe));
    return info?.isFile === true && ((info.mode ?? 0o111) & 0o111) !== 0;
  });
}

/** The paths that an absolute path with `*` in some of its names matches, as the shell expands them. */
function expand(pattern: string): string[] {
  let paths = ["/"];
  for (const name of pattern.split("/").filter((n) => n !== "")) {
    if (!name.includes("*")) {
      paths = paths.map((path) => join(path, name));
      continue;
    }
    const re = new RegExp(`^${name.split("*").map(escapeRegExp).join("[^/]*")}$`);
    // As in the shell, `*` does not match a leading dot.
    paths = paths.flatMap((dir) => names(dir).filter((n) => re.test(n) && !n.startsWith(".")).map((n) => join(dir, n)));
  }
  return paths;
}

/** `text` with the characters that mean something in a regular expression escaped. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The names in directory `path`; none when it is missing or no directory. */
function names(path: string): string[] {
  try {
    return [...Deno.readDirSync(path)].map((entry) => entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) return [];
    throw error;
  }
}

/** What `path` leads to (links followed), or undefined when nothing is there. */
function stat(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) return undefined;
    throw error;
  }
}

/** Whether perl loads `module`; false without perl. */
function perlHas(module: string): boolean {
  try {
    return new Deno.Command("perl", { args: [`-M${module}`, "-e", "1"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

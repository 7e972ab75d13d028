/**
 * How the benchmarks start our servers: exactly as `deno task` does (V8
 * flags and permissions from deno.json), but as direct children whose
 * memory can be read.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../", import.meta.url));

/**
 * The arguments after `deno` of a task in deno.json, with the entry point
 * made absolute and the `.` data-root grants pointed at `root`.
 *
 * @throws {TypeError} when the task does not start with `deno`
 */
export async function taskArgs(task: string, root: string): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${repoRoot}deno.json`));
  const words = String(config.tasks[task]).split(" ");
  if (words[0] !== "deno") throw new TypeError(`Cannot run task ${task}: it does not start with deno`);
  return words.slice(1).map((word) =>
    word.endsWith(".ts") ? `${repoRoot}${word}` : word.replace(/^(--allow-(?:read|write))=\.$/, `$1=${root}`)
  );
}

/**
 * README.md blocks that a test produces from the program's own output, so
 * that they never drift from it: the code block after a marker line is
 * compared with what the test printed, and rewritten on request.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "./server_process.ts";

/** Where the code block after `marker` lies in README.md's lines. */
function blockRange(lines: string[], marker: string): { start: number; end: number } {
  const at = lines.indexOf(marker);
  assert.ok(at >= 0, `README.md has no line ${marker}`);
  const fence = lines.findIndex((line, i) => i > at && line !== "");
  assert.match(lines[fence], /^```$/, "a code block follows the marker");
  const end = lines.indexOf("```", fence + 1);
  assert.ok(end > fence, "the code block ends");
  return { start: fence + 1, end };
}

/**
 * Asserts that README.md's block after `marker` is `printed`; when the
 * environment variable `update` is "1", rewrites that block instead (only
 * the block: README.md is edited by others too).
 *
 * @param rerun the command that rewrites it, for the failure message
 */
export async function assertReadmeBlock(options: {
  marker: string;
  printed: string;
  update: string;
  rerun: string;
}): Promise<void> {
  const path = join(REPO_ROOT, "README.md");
  const lines = (await Deno.readTextFile(path)).split("\n");
  const { start, end } = blockRange(lines, options.marker);
  if (lines.slice(start, end).join("\n") === options.printed) return;
  if (Deno.env.get(options.update) === "1") {
    await Deno.writeTextFile(path, [...lines.slice(0, start), options.printed, ...lines.slice(end)].join("\n"));
    console.log(`README.md: the block after ${options.marker} rewritten`);
    return;
  }
  assert.fail(
    `README.md's block differs from what the program prints. Rewrite it with\n  ${options.rerun}\n` +
      `or replace the block after ${options.marker} by:\n${options.printed}`,
  );
}

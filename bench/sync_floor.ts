/**
 * The machine's floor for a durable append, measured by `sync_floor.py`
 * (Python, so that no server runtime's own cost is in the figure).
 *
 * @module
 */

import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./sync_floor.py", import.meta.url));

/** One measurement of the sync floor. */
export interface SyncFloorOptions {
  /** Appends, each followed by one fdatasync. */
  count: number;
  /** Octets per append. */
  size: number;
  /** Idle time between one sync and the next append, in microseconds. */
  gapMicros: number;
}

/**
 * Resolves to the median time of one fdatasync after a `size`-octet append,
 * in microseconds, on the file system of the system's temp directory.
 *
 * @throws {Error} when the probe fails or prints no number.
 */
export async function measureSyncFloor(opts: SyncFloorOptions): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "smtp_bench_sync_" });
  try {
    const args = [SCRIPT, dir, String(opts.count), String(opts.size), String(Math.round(opts.gapMicros))];
    const { code, stdout, stderr } = await new Deno.Command("python3", { args, stdin: "null" }).output();
    const text = new TextDecoder().decode(stdout).trim();
    const micros = Number(text);
    if (code !== 0 || text === "" || !Number.isFinite(micros)) {
      throw new Error(`sync_floor.py exited with ${code}: ${text}${new TextDecoder().decode(stderr).trim()}`);
    }
    return micros;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

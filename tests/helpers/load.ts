/**
 * Test messages for load and crash tests: each carries a unique marker and
 * can be rebuilt from it, so a stored copy can be checked byte for byte.
 *
 * @module
 */

import assert from "node:assert/strict";
import { decode } from "./bytes.ts";

/**
 * The message that sender `c` sends as its `m`-th: a unique marker in a
 * header and the body, and 0 to ~36 KB of lines, some starting with ".",
 * plus about `extra` octets of padding lines.
 */
export function loadMessage(c: number, m: number, extra = 0): string {
  const marker = `M-${c}-${m}`;
  const lines = [
    `From: fourouzan@localhost`,
    `To: andrew@localhost`,
    `Subject: load ${marker}`,
    `X-Marker: ${marker}`,
    "",
  ];
  const count = ((c * 1000 + m) * 7919) % 41;
  for (let i = 0; i < count; i++) {
    const dot = (i + m) % 5 === 0 ? "." : "";
    lines.push(`${dot}${marker} line ${i} ${String.fromCharCode(97 + (i % 26)).repeat((i * 131 + c * 17) % 880)}`);
  }
  for (let i = 0; i < extra / 800; i++) lines.push(`${marker} pad ${i} ${"p".repeat(780)}`);
  lines.push(`end of ${marker}`, "");
  return lines.join("\r\n");
}

/** The marker of a stored message, from its X-Marker header. */
export function markerOf(message: Uint8Array): string {
  const m = /\r\nX-Marker: (M-\d+-\d+)\r\n/.exec(decode(message.subarray(0, 400)));
  return m?.[1] ?? assert.fail(`no marker in ${JSON.stringify(decode(message.subarray(0, 200)))}`);
}

/**
 * `GET /api/v1/wait`: waits for the first message to an address that
 * arrives after the call, by looking at the mailbox's end now and then (the
 * store contract has no notification, and this works over files and
 * PostgreSQL alike).
 *
 * @module
 */

import type { MailboxView, MessageSummary } from "./mailbox_view.ts";

/** How often the mailbox is listed while waiting, in milliseconds. */
const POLL_MS = 250;

/**
 * Whether the address list `to` (a To header's value) names `address`,
 * case-insensitively: as the whole value, or between the list's
 * delimiters (`<>`, commas, spaces).
 */
export function namesAddress(to: string, address: string): boolean {
  const haystack = to.toLowerCase();
  const needle = address.toLowerCase();
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
    const before = at === 0 ? "" : haystack[at - 1];
    const after = haystack[at + needle.length] ?? "";
    if (/^[\s<,:;"]?$/.test(before) && /^[\s>,;"]?$/.test(after)) return true;
  }
  return false;
}

/**
 * Resolves to the first message addressed to `address` (its To header)
 * that reaches `user`'s mailbox after the call (or, with `after`, after
 * that message: then one that came between it and the call counts too, and
 * a client that noted the newest id before sending cannot miss its mail),
 * or undefined when none has within `timeoutMs` or `signal` aborts first.
 */
export async function waitForMessage(
  view: MailboxView,
  options: { user: string; address: string; after?: string; timeoutMs: number; signal: AbortSignal },
): Promise<MessageSummary | undefined> {
  let mark = options.after === undefined ? await view.end(options.user) : new Set([options.after]);
  const deadline = Date.now() + options.timeoutMs;
  while (!options.signal.aborted && Date.now() < deadline) {
    await pause(Math.min(POLL_MS, deadline - Date.now()), options.signal);
    const arrived = await view.arrivals(options.user, mark);
    const found = arrived.messages.find((m) => namesAddress(m.to, options.address));
    if (found !== undefined) return found;
    mark = arrived.mark;
  }
  return undefined;
}

/** Resolves after `ms` milliseconds, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener("abort", done);
  });
}

/**
 * What the checker does to maildrops besides testing: delivering its own
 * message through SMTP (--smtp), waiting for it to arrive, reading a
 * message back, and at the end deleting exactly the messages it sent,
 * found by their mark. Socket-free: sessions come from the contexts.
 *
 * @module
 */

import { findMark, type Pop3Check, retrieve, scanMarks, withLogin } from "./pop3_check.ts";
import { isOk, unstuff } from "./pop3_probe.ts";
import { quit, type SmtpCheck, startData } from "./smtp_check.ts";
import { shown } from "./smtp_probe.ts";
import { ProtocolError } from "./rule.ts";
import { dataWire, type TestMessage } from "./test_message.ts";

/** How long to wait for a message to arrive in the maildrop (a relaying server may queue it a while). */
export const ARRIVAL_WAIT_MS = 30_000;

/**
 * Delivers `message` through SMTP.
 *
 * @throws {ProtocolError} when the server refuses it
 */
export async function deliverOwn(smtp: SmtpCheck, message: TestMessage): Promise<void> {
  const s = await smtp.open();
  try {
    await startData(s, smtp);
    await s.send(dataWire(message));
    const end = await s.reply();
    if (end.code !== 250) throw new ProtocolError(`the end of DATA was answered ${shown(end)}`);
    smtp.accepted(message);
  } finally {
    await quit(s);
  }
}

/**
 * Waits until the message marked `mark` is in the maildrop, then returns
 * its lines (unstuffed); undefined when it does not come within `waitMs`.
 */
export async function readMarked(
  pop3: Pop3Check,
  mark: string,
  waitMs = ARRIVAL_WAIT_MS,
): Promise<string[] | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const lines = await withLogin(pop3, async (s) => {
      const n = await findMark(s, mark);
      return n === undefined ? undefined : unstuff(await retrieve(s, n));
    });
    if (lines !== undefined || Date.now() > deadline) return lines;
    await pop3.pause(500);
  }
}

/**
 * Deletes the messages marked with `marks` (DELE, then QUIT), waiting for
 * any not yet arrived.
 *
 * @returns how many were found and deleted
 */
export async function deleteMarked(
  pop3: Pop3Check,
  marks: readonly string[],
  waitMs = ARRIVAL_WAIT_MS,
): Promise<number> {
  const left = new Set(marks);
  const deadline = Date.now() + waitMs;
  let deleted = 0;
  while (left.size > 0) {
    deleted += await withLogin(pop3, async (s) => {
      let here = 0;
      await scanMarks(s, async (n, mark) => {
        if (mark !== undefined && left.has(mark) && isOk(await s.command(`DELE ${n}`))) {
          left.delete(mark);
          here++;
        }
        return left.size === 0;
      });
      return here;
    });
    if (left.size === 0 || Date.now() > deadline) break;
    await pop3.pause(500);
  }
  return deleted;
}

/**
 * POP3 rules about messages: LIST with and without an argument, sizes
 * exact in octets, RETR byte for byte with dot-stuffing, TOP, UIDL stable
 * across sessions, and deletion: DELE only marks, RSET unmarks, only QUIT
 * removes (RFC 1939 3, 5, 6, 7). The deleting rules touch only the message
 * the run delivered itself (--smtp).
 *
 * @module
 */

import { count, findMark, findOwn, type Found, login, type Pop3Check, retrieve, withLogin } from "./pop3_check.ts";
import { isOk, octets, type Pop3Probe, unstuff } from "./pop3_probe.ts";
import { fail, notOffered, PASS, type Rule, skipped, type Verdict } from "./rule.ts";
import { messageLines } from "./test_message.ts";

/**
 * The message the reading rules look at: one of the run's own when it has
 * them, else the last one in the maildrop; undefined when there is none.
 */
async function target(s: Pop3Probe, check: Pop3Check): Promise<Found | undefined> {
  if (check.own.length > 0) return await findOwn(s, check);
  const total = await count(s);
  return total > 0 ? { n: total } : undefined;
}

/** Runs `work` on the target message in a logged-in session; skipped when there is none. */
function onTarget(check: Pop3Check, work: (s: Pop3Probe, n: number) => Promise<Verdict>): Promise<Verdict> {
  return withLogin(check, async (s) => {
    const found = await target(s, check);
    if (found === undefined) {
      return skipped(check.own.length > 0 ? "the run's messages are gone" : "the maildrop is empty");
    }
    return await work(s, found.n);
  });
}

/** Runs `work` on one of the run's own messages; skipped without one. */
function onOwn(check: Pop3Check, work: (s: Pop3Probe, own: Required<Found>) => Promise<Verdict>): Promise<Verdict> {
  if (check.own.length === 0) return Promise.resolve(skipped(check.noSeed));
  return withLogin(check, async (s) => {
    const found = await findOwn(s, check);
    return found === undefined ? skipped("the run's messages are gone") : await work(s, found);
  });
}

/** How many messages, from the last back, retr-stuffing reads when the run has none of its own. */
const SEARCHED_FOR_DOTS = 20;

/** The syntax of a unique-id: 1 to 70 characters 0x21-0x7E (RFC 1939 7). */
const UID = /^[\x21-\x7e]{1,70}$/;

/** UIDL's listing as message number -> unique-id, or a failure. */
async function uidls(s: Pop3Probe): Promise<Map<number, string> | Verdict> {
  const { status, lines } = await s.multi("UIDL");
  if (!isOk(status)) return notOffered(`UIDL was answered "${status}"`);
  const ids = new Map<number, string>();
  for (const line of lines) {
    const [n, uid, ...rest] = line.split(" ");
    if (!/^\d+$/.test(n) || uid === undefined || !UID.test(uid) || rest.length > 0) {
      return fail(`"${line}" is no "number unique-id" line`);
    }
    ids.set(Number(n), uid);
  }
  if (new Set(ids.values()).size !== ids.size) return fail("two messages share a unique-id");
  return ids;
}

/** The POP3 message rules, in the order they run: reading first, deleting last. */
export const POP3_MESSAGE_RULES: Rule<Pop3Check>[] = [
  {
    id: "pop3.list",
    ref: "RFC 1939 5",
    title: "LIST n answers the line LIST's listing has for n",
    expects: '"+OK n size" to LIST n, the same as the listing\'s line for n',
    required: true,
    run: (check) =>
      onTarget(check, async (s, n) => {
        const { status, lines } = await s.multi("LIST");
        if (!isOk(status)) return fail(`LIST was answered "${status}"`);
        const listed = lines.find((line) => line.split(" ")[0] === String(n));
        const one = await s.command(`LIST ${n}`);
        return listed !== undefined && one === `+OK ${listed}` ? PASS : fail(
          `LIST ${n} was answered "${one}", the listing has ${listed === undefined ? "no line" : `"${listed}"`}`,
        );
      }),
  },
  {
    id: "pop3.list-size",
    ref: "RFC 1939 5",
    title: "LIST gives the exact size in octets, as RETR sends it with CRLF line ends",
    expects: "the size in LIST equal to the octets RETR sends, CRLF counted as two, stuffing dots and end not counted",
    required: true,
    run: (check) =>
      onTarget(check, async (s, n) => {
        const size = Number(/^\+OK \d+ (\d+)/.exec(await s.command(`LIST ${n}`))?.[1]);
        const sent = octets(unstuff(await retrieve(s, n)));
        return size === sent ? PASS : fail(`LIST ${n} says ${size} octets, RETR ${n} sent ${sent}`);
      }),
  },
  {
    id: "pop3.retr-stuffing",
    ref: "RFC 1939 3",
    title: "RETR dot-stuffs every line that begins with a dot",
    expects: 'every line of the message beginning with "." sent with one more "." before it',
    required: true,
    run: (check) =>
      withLogin(check, async (s) => {
        const own = check.own.length > 0 ? await findOwn(s, check) : undefined;
        const total = await count(s);
        const numbers = own ? [own.n] : Array.from({ length: Math.min(total, SEARCHED_FOR_DOTS) }, (_, i) => total - i);
        let dotted = 0;
        for (const n of numbers) {
          const dots = (await retrieve(s, n)).filter((line) => line.startsWith("."));
          dotted += dots.length;
          const bare = dots.find((line) => !line.startsWith(".."));
          if (bare !== undefined) return fail(`RETR ${n} sent "${bare}": a line beginning with a dot, not stuffed`);
        }
        return dotted > 0 ? PASS : skipped(`no line of the last ${numbers.length} messages begins with a dot`);
      }),
  },
  {
    id: "pop3.retr-exact",
    ref: "RFC 1939 5",
    title: "RETR gives the message back as it was sent, byte for byte",
    expects: "the header lines sent (the server may add trace lines) and the body exactly as sent over SMTP",
    required: true,
    run: (check) =>
      onOwn(check, async (s, { n, message }) => {
        const got = unstuff(await retrieve(s, n));
        const sent = messageLines(message);
        const missing = message.header.find((line) => !got.includes(line));
        if (missing !== undefined) return fail(`header line "${missing}" is missing`);
        const body = got.slice(got.indexOf("") + 1);
        const want = sent.slice(sent.indexOf("") + 1);
        const at = want.findIndex((line, i) => body[i] !== line);
        if (at >= 0) {
          return fail(`body line ${at + 1} is ${JSON.stringify(body[at])}, sent ${JSON.stringify(want[at])}`);
        }
        return body.length === want.length ? PASS : fail(`the body has ${body.length} lines, ${want.length} were sent`);
      }),
  },
  {
    id: "pop3.top",
    ref: "RFC 1939 7",
    title: "TOP n 0 gives the header and the empty line, TOP n 1 one body line more",
    expects: "the first lines of what RETR gives: the header, the empty line, then as many body lines as asked",
    required: true,
    run: (check) =>
      onTarget(check, async (s, n) => {
        const whole = unstuff(await retrieve(s, n));
        const end = whole.indexOf("");
        for (const lines of [0, 1]) {
          const { status, lines: got } = await s.multi(`TOP ${n} ${lines}`);
          if (!isOk(status)) return notOffered(`TOP was answered "${status}"`);
          const want = end < 0 ? whole : whole.slice(0, Math.min(whole.length, end + 1 + lines));
          if (JSON.stringify(unstuff(got)) !== JSON.stringify(want)) {
            return fail(`TOP ${n} ${lines} sent ${got.length} lines, not the ${want.length} RETR begins with`);
          }
        }
        return PASS;
      }),
  },
  {
    id: "pop3.uidl",
    ref: "RFC 1939 7",
    title: "UIDL gives each message a unique-id that stays the same in the next session",
    expects: "unique ids of 1-70 printable characters, UIDL n as in the listing, and the same ids in a new session",
    required: true,
    async run(check) {
      const first = await withLogin(check, async (s) => {
        const ids = await uidls(s);
        if (!(ids instanceof Map) || ids.size === 0) return ids;
        const [n, uid] = [...ids].at(-1)!;
        const one = await s.command(`UIDL ${n}`);
        return one === `+OK ${n} ${uid}` ? ids : fail(`UIDL ${n} was answered "${one}", the listing says "${uid}"`);
      });
      if (!(first instanceof Map)) return first;
      if (first.size === 0) return skipped("the maildrop is empty");
      const second = await withLogin(check, uidls);
      if (!(second instanceof Map)) return second;
      const now = new Set(second.values());
      const lost = [...first.values()].find((uid) => !now.has(uid));
      return lost === undefined ? PASS : fail(`unique-id "${lost}" is gone in the next session, nothing deleted`);
    },
  },
  {
    id: "pop3.dele-rset",
    ref: "RFC 1939 5",
    title: "DELE only marks a message: it is no longer listed, and RSET unmarks it",
    expects: '"+OK" to DELE, "-ERR" to LIST n then, STAT one less; after RSET, STAT and LIST n as before',
    required: true,
    run: (check) =>
      onOwn(check, async (s, { n }) => {
        const before = await count(s);
        if (!isOk(await s.command(`DELE ${n}`))) return fail(`DELE ${n} was refused`);
        const listed = await s.command(`LIST ${n}`);
        if (isOk(listed)) return fail(`LIST ${n} after DELE was answered "${listed}"`);
        const marked = await count(s);
        if (marked !== before - 1) return fail(`STAT after DELE counts ${marked} messages, ${before - 1} expected`);
        const rset = await s.command("RSET");
        if (!isOk(rset)) return fail(`RSET was answered "${rset}"`);
        const after = await count(s);
        if (after !== before) return fail(`STAT after RSET counts ${after} (of ${before} before DELE)`);
        const again = await s.command(`LIST ${n}`);
        return isOk(again) ? PASS : fail(`LIST ${n} after RSET was answered "${again}"`);
      }),
  },
  {
    id: "pop3.dele-at-quit",
    ref: "RFC 1939 6",
    title: "a session that ends without QUIT removes nothing it marked",
    expects: "the message marked by DELE still there in the next session, the first having closed without QUIT",
    required: true,
    async run(check) {
      if (check.own.length === 0) return skipped(check.noSeed);
      const s = await login(check);
      let own;
      try {
        own = await findOwn(s, check);
        if (own === undefined) return skipped("the run's messages are gone");
        if (!isOk(await s.command(`DELE ${own.n}`))) return fail(`DELE ${own.n} was refused`);
      } finally {
        await s.close(); // no QUIT: the session does not enter the UPDATE state
      }
      const mark = own.message.mark;
      const found = await withLogin(check, (again) => findMark(again, mark));
      return found !== undefined ? PASS : fail("the message marked by DELE was removed, though QUIT never came");
    },
  },
  {
    id: "pop3.dele-quit",
    ref: "RFC 1939 6",
    title: "QUIT removes the messages marked by DELE",
    expects: '"+OK" to QUIT, and the message gone in the next session (this also removes one of the run\'s messages)',
    required: true,
    run: (check) =>
      onOwn(check, async (s, { n, message }) => {
        if (!isOk(await s.command(`DELE ${n}`))) return fail(`DELE ${n} was refused`);
        const quit = await s.command("QUIT");
        if (!isOk(quit)) return fail(`QUIT was answered "${quit}"`);
        const found = await withLogin(check, (again) => findMark(again, message.mark));
        return found === undefined ? PASS : fail(`the message is still there, as message ${found}`);
      }),
  },
];

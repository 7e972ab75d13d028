/**
 * SMTP rules about the session: the greeting and reply syntax, EHLO and
 * HELO, NOOP, QUIT, unknown and lower-case commands, the order of MAIL,
 * RCPT and DATA and its 503s, RSET, the null sender, an unknown recipient,
 * SIZE and the length of a command line (RFC 5321, RFC 1870). None of them
 * delivers a message.
 *
 * @module
 */

import { fail, notOffered, PASS, type Rule, type Verdict } from "./rule.ts";
import { expect, type SmtpCheck, withSession } from "./smtp_check.ts";
import { ehloKeywords } from "./smtp_reply.ts";
import { shown } from "./smtp_probe.ts";

/** A verdict from one reply: pass when its code is one of `codes`. */
function codeIn(what: string, reply: { code: number; lines: string[] } | null, codes: number[]): Verdict {
  return reply !== null && codes.includes(reply.code) ? PASS : fail(`${what} was answered ${shown(reply)}`);
}

/** The domain of an address, "localhost" when it has none. */
function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? "localhost" : address.slice(at + 1);
}

/** The SMTP session rules, in the order they run. */
export const SMTP_SESSION_RULES: Rule<SmtpCheck>[] = [
  {
    id: "smtp.greeting",
    ref: "RFC 5321 3.1",
    title: "the server speaks first, with a 220 reply",
    expects: 'a "220" greeting, each line "220-" but the last "220 " (RFC 5321 4.2)',
    required: true,
    run: (check) => withSession(check, (s) => Promise.resolve(codeIn("the connection", s.greeting, [220]))),
  },
  {
    id: "smtp.ehlo",
    ref: "RFC 5321 4.1.1.1",
    title: "EHLO is answered 250 with a well-formed multi-line reply",
    expects: '"250", a multi-line reply naming one extension keyword per line after the first',
    required: true,
    run: (check) =>
      withSession(check, async (s) => {
        const reply = await s.command(`EHLO ${s.name}`);
        if (reply.code !== 250) return fail(`EHLO was answered ${shown(reply)}`);
        const bad = reply.lines.slice(1).find((line) => !/^250[ -][A-Za-z0-9][A-Za-z0-9-]*( |$)/.test(line));
        return bad === undefined ? PASS : fail(`"${bad}" is no extension keyword line`);
      }),
  },
  {
    id: "smtp.helo",
    ref: "RFC 5321 4.1.1.1",
    title: "HELO, for old clients, is answered 250",
    expects: '"250": servers must accept HELO as well as EHLO',
    required: true,
    run: (check) => withSession(check, async (s) => codeIn("HELO", await s.command(`HELO ${s.name}`), [250])),
  },
  {
    id: "smtp.noop",
    ref: "RFC 5321 4.1.1.9",
    title: "NOOP is answered 250",
    expects: '"250", whatever the state of the session',
    required: true,
    run: (check) =>
      withSession(check, async (s) => {
        await s.ehlo();
        return codeIn("NOOP", await s.command("NOOP"), [250]);
      }),
  },
  {
    id: "smtp.quit",
    ref: "RFC 5321 4.1.1.10",
    title: "QUIT is answered 221, then the server closes the connection",
    expects: '"221", then the connection closed by the server',
    required: true,
    async run(check) {
      const s = await check.open();
      try {
        await s.ehlo();
        const reply = await s.command("QUIT");
        if (reply.code !== 221) return fail(`QUIT was answered ${shown(reply)}`);
        const after = await s.replyOrClose();
        return after === null ? PASS : fail(`after 221 the server sent ${shown(after)} and kept the connection`);
      } finally {
        await s.close();
      }
    },
  },
  {
    id: "smtp.unknown-command",
    ref: "RFC 5321 4.2.4",
    title: "an unknown command is refused with 500, and the session goes on",
    expects: '"500" (or "502" for a command recognised but not implemented), then NOOP still "250"',
    required: true,
    run: (check) =>
      withSession(check, async (s) => {
        await s.ehlo();
        const verdict = codeIn("XYZZY", await s.command("XYZZY"), [500, 502]);
        return verdict.status === "pass" ? codeIn("NOOP after it", await s.command("NOOP"), [250]) : verdict;
      }),
  },
  {
    id: "smtp.case-insensitive",
    ref: "RFC 5321 2.4",
    title: "commands are taken in any case",
    expects: '"ehlo", "mail from:", "Rcpt To:" and "rset" work as their upper-case forms',
    required: true,
    run: (check) =>
      withSession(check, async (s) => {
        for (
          const [line, codes] of [[`ehlo ${s.name}`, [250]], [`mail from:<${check.from}>`, [250]], [
            `Rcpt To:<${check.rcpt}>`,
            [250, 251],
          ], ["rset", [250]]] as const
        ) {
          const verdict = codeIn(`"${line}"`, await s.command(line), [...codes]);
          if (verdict.status !== "pass") return verdict;
        }
        return PASS;
      }),
  },
  {
    id: "smtp.rcpt-before-mail",
    ref: "RFC 5321 3.3",
    title: "RCPT before MAIL is refused with 503",
    expects: '"503" (bad sequence of commands): there is no transaction to add a recipient to',
    required: true,
    run: (check) =>
      withSession(check, async (s) => {
        await s.ehlo();
        return codeIn("RCPT without MAIL", await s.command(`RCPT TO:<${check.rcpt}>`), [503]);
      }),
  },
  {
    id: "smtp.data-before-rcpt",
    ref: "RFC 5321 4.1.4",
    title: "DATA with no recipient is refused with 503 or 554",
    expects: '"503" (bad sequence) or "554" (no valid recipients), never "354"',
    required: true,
    run: (check) =>
      withSession(check, async (s) => {
        await s.ehlo();
        await expect(s, `MAIL FROM:<${check.from}>`, [250]);
        return codeIn("DATA without RCPT", await s.command("DATA"), [503, 554]);
      }),
  },
  {
    id: "smtp.nested-mail",
    ref: "RFC 5321 4.1.4",
    title: "a second MAIL inside a transaction is refused with 503",
    expects: '"503": a transaction has one MAIL; RSET or the end of DATA ends it first',
    required: true,
    run: (check) =>
      withSession(check, async (s) => {
        await s.ehlo();
        await expect(s, `MAIL FROM:<${check.from}>`, [250]);
        return codeIn("a second MAIL", await s.command(`MAIL FROM:<${check.from}>`), [503]);
      }),
  },
  {
    id: "smtp.mail-before-ehlo",
    ref: "RFC 5321 4.1.4",
    title: "MAIL before EHLO or HELO is refused with 503",
    expects: '"503": a session must be opened with EHLO or HELO before a transaction (servers may be lenient)',
    required: false,
    run: (check) =>
      withSession(check, async (s) => codeIn("MAIL before EHLO", await s.command(`MAIL FROM:<${check.from}>`), [503])),
  },
  {
    id: "smtp.rset",
    ref: "RFC 5321 4.1.1.5",
    title: "RSET is answered 250 and ends the transaction",
    expects: '"250" to RSET, after which RCPT is refused with "503" as no MAIL is open',
    required: true,
    run: (check) =>
      withSession(check, async (s) => {
        await s.ehlo();
        await expect(s, `MAIL FROM:<${check.from}>`, [250]);
        await expect(s, `RCPT TO:<${check.rcpt}>`, [250, 251]);
        const rset = codeIn("RSET", await s.command("RSET"), [250]);
        if (rset.status !== "pass") return rset;
        return codeIn("RCPT after RSET", await s.command(`RCPT TO:<${check.rcpt}>`), [503]);
      }),
  },
  {
    id: "smtp.null-sender",
    ref: "RFC 5321 4.5.5",
    title: "the null sender MAIL FROM:<> is accepted",
    expects: '"250" to MAIL FROM:<> and to its RCPT: bounces and notifications are sent that way',
    required: true,
    run: (check) =>
      withSession(check, async (s) => {
        await s.ehlo();
        const mail = codeIn("MAIL FROM:<>", await s.command("MAIL FROM:<>"), [250]);
        if (mail.status !== "pass") return mail;
        return codeIn("RCPT after MAIL FROM:<>", await s.command(`RCPT TO:<${check.rcpt}>`), [250, 251]);
      }),
  },
  {
    id: "smtp.unknown-recipient",
    ref: "RFC 5321 3.3",
    title: "RCPT to a user that does not exist is refused with 550",
    expects: '"550" (RFC 3463 5.1.1, bad destination mailbox); a server may instead accept it and bounce later',
    required: false,
    run: (check) =>
      withSession(check, async (s) => {
        await s.ehlo();
        await expect(s, `MAIL FROM:<${check.from}>`, [250]);
        const nobody = `no-such-user-${check.token}@${domainOf(check.rcpt)}`;
        return codeIn(`RCPT TO:<${nobody}>`, await s.command(`RCPT TO:<${nobody}>`), [550, 551, 553]);
      }),
  },
  {
    id: "smtp.size",
    ref: "RFC 1870 6",
    title: "MAIL with SIZE over the advertised limit is refused with 552",
    expects: '"552" (RFC 3463 5.3.4) to MAIL FROM:<…> SIZE=limit+1, and "250" to a size within it',
    required: true,
    run: (check) =>
      withSession(check, async (s) => {
        const limit = Number(ehloKeywords(await s.ehlo()).get("SIZE")?.[0] ?? 0);
        if (!(limit > 0)) return notOffered("EHLO lists no SIZE with a limit");
        const over = await s.command(`MAIL FROM:<${check.from}> SIZE=${limit + 1}`);
        if (over.code !== 552) return fail(`MAIL … SIZE=${limit + 1} was answered ${shown(over)}`);
        return codeIn("MAIL … SIZE=100", await s.command(`MAIL FROM:<${check.from}> SIZE=100`), [250]);
      }),
  },
  {
    id: "smtp.command-line-length",
    ref: "RFC 5321 4.5.3.1.4",
    title: "a command line of 512 octets, CRLF included, is taken",
    expects: '"250" to a NOOP of 510 characters: servers must take command lines up to 512 octets',
    required: true,
    run: (check) =>
      withSession(check, async (s) => {
        await s.ehlo();
        return codeIn("a 512-octet NOOP", await s.command(`NOOP ${"x".repeat(505)}`), [250]);
      }),
  },
  {
    id: "smtp.long-command-line",
    ref: "RFC 5321 4.2.2",
    title: "a command line far over the limit gets 500, and the session goes on",
    expects: '"500" (line too long) to a 4,000-octet line, then NOOP "250"',
    required: false,
    run: (check) =>
      withSession(check, async (s) => {
        await s.ehlo();
        const long = codeIn("a 4,000-octet line", await s.command(`NOOP ${"x".repeat(3995)}`), [500, 501]);
        return long.status === "pass" ? codeIn("NOOP after it", await s.command("NOOP"), [250]) : long;
      }),
  },
];

/**
 * POP3 rules about the session: the greeting, CAPA, USER and PASS, the
 * commands allowed in the AUTHORIZATION and TRANSACTION states, NOOP,
 * QUIT, case-insensitive keywords, STAT, and -ERR for bad arguments
 * (RFC 1939, RFC 2449). None of them changes the maildrop.
 *
 * @module
 */

import { count, login, type Pop3Check, withLogin } from "./pop3_check.ts";
import { isOk, type Pop3Probe } from "./pop3_probe.ts";
import { fail, notOffered, PASS, type Rule, type Verdict } from "./rule.ts";

/** Opens a session (not logged in), runs `work`, then QUIT whatever happened. */
async function withOpen(check: Pop3Check, work: (s: Pop3Probe) => Promise<Verdict>): Promise<Verdict> {
  const s = await check.open();
  try {
    return await work(s);
  } finally {
    await s.command("QUIT").catch(() => "");
    await s.close();
  }
}

/** Sends each command and checks that its status is `want` ("+OK" or "-ERR"); the first that is not fails. */
async function statuses(s: Pop3Probe, commands: string[], want: "+OK" | "-ERR"): Promise<Verdict> {
  for (const command of commands) {
    const status = await s.command(command);
    if (isOk(status) !== (want === "+OK")) return fail(`"${command}" was answered "${status}"`);
    // A +OK to a command with a multi-line answer: read it, to stay in step.
    if (isOk(status) && /^(LIST|UIDL|RETR|TOP|CAPA)$/i.test(command) && want === "-ERR") await s.lines();
  }
  return PASS;
}

/** The POP3 session rules, in the order they run. */
export const POP3_SESSION_RULES: Rule<Pop3Check>[] = [
  {
    id: "pop3.greeting",
    ref: "RFC 1939 4",
    title: "the server speaks first, with +OK",
    expects: 'a greeting line beginning "+OK"',
    required: true,
    run: (check) =>
      withOpen(check, (s) => Promise.resolve(isOk(s.greeting) ? PASS : fail(`the greeting was "${s.greeting}"`))),
  },
  {
    id: "pop3.capa",
    ref: "RFC 2449 5",
    title: 'CAPA lists the capabilities, one per line, ended by "."',
    expects: '"+OK", then one capability per line (a name, then its parameters), then "."',
    required: true,
    run: (check) =>
      withOpen(check, async (s) => {
        const { status, lines } = await s.multi("CAPA");
        if (!isOk(status)) return notOffered(`CAPA was answered "${status}"`);
        const bad = lines.find((line) => !/^[A-Za-z0-9][\x21-\x7e]*( [\x20-\x7e]*)?$/.test(line));
        return bad === undefined ? PASS : fail(`"${bad}" is no capability line`);
      }),
  },
  {
    id: "pop3.user-pass",
    ref: "RFC 1939 7",
    title: "USER and PASS log in; a wrong password gets -ERR",
    expects: '"-ERR" to PASS with a wrong password; "+OK" to USER and to PASS with the right one',
    required: true,
    async run(check) {
      const wrong = await withOpen(check, async (s) => {
        const user = await s.command(`USER ${check.user}`);
        if (!isOk(user)) return PASS; // refusing the name at once is allowed too
        const pass = await s.command(`PASS not-the-password-${Date.now()}`);
        return isOk(pass) ? fail(`PASS with a wrong password was answered "${pass}"`) : PASS;
      });
      if (wrong.status !== "pass") return wrong;
      await withLogin(check, () => Promise.resolve());
      return PASS;
    },
  },
  {
    id: "pop3.pass-before-user",
    ref: "RFC 1939 7",
    title: "PASS without USER before it is refused",
    expects: '"-ERR": PASS may only follow a successful USER',
    required: true,
    run: (check) => withOpen(check, (s) => statuses(s, [`PASS ${check.pass}`], "-ERR")),
  },
  {
    id: "pop3.authorization-state",
    ref: "RFC 1939 3",
    title: "before login, STAT, LIST and RETR are refused",
    expects: '"-ERR" to each: only USER, PASS, APOP, AUTH, CAPA, STLS and QUIT belong to the AUTHORIZATION state',
    required: true,
    run: (check) => withOpen(check, (s) => statuses(s, ["STAT", "LIST", "RETR 1"], "-ERR")),
  },
  {
    id: "pop3.transaction-state",
    ref: "RFC 1939 3",
    title: "after login, USER and PASS are refused",
    expects: '"-ERR" to each: they belong to the AUTHORIZATION state only',
    required: true,
    run: (check) => withLogin(check, (s) => statuses(s, [`USER ${check.user}`, `PASS ${check.pass}`], "-ERR")),
  },
  {
    id: "pop3.noop",
    ref: "RFC 1939 5",
    title: "NOOP after login is answered +OK",
    expects: '"+OK"',
    required: true,
    run: (check) => withLogin(check, (s) => statuses(s, ["NOOP"], "+OK")),
  },
  {
    id: "pop3.case-insensitive",
    ref: "RFC 1939 3",
    title: "keywords are taken in any case",
    expects: '"+OK" to "user", "pass", "stat", "Noop" as to their upper-case forms',
    required: true,
    async run(check) {
      const s = await check.open();
      try {
        const user = await s.command(`user ${check.user}`);
        if (!isOk(user)) return fail(`"user ${check.user}" was answered "${user}"`);
        const pass = await s.command(`pass ${check.pass}`);
        if (!isOk(pass)) return fail(`"pass" was answered "${pass}"`);
        return await statuses(s, ["stat", "Noop"], "+OK");
      } finally {
        await s.command("QUIT").catch(() => "");
        await s.close();
      }
    },
  },
  {
    id: "pop3.stat",
    ref: "RFC 1939 5",
    title: 'STAT answers "+OK count octets", matching the LIST listing',
    expects: '"+OK nn mm": nn the number of messages LIST lists, mm the sum of their sizes',
    required: true,
    run: (check) =>
      withLogin(check, async (s) => {
        const stat = await s.command("STAT");
        const m = /^\+OK (\d+) (\d+)( |$)/.exec(stat);
        if (m === null) return fail(`STAT was answered "${stat}"`);
        const { status, lines } = await s.multi("LIST");
        if (!isOk(status)) return fail(`LIST was answered "${status}"`);
        const sum = lines.reduce((n, line) => n + Number(line.split(" ")[1]), 0);
        if (lines.length !== Number(m[1]) || sum !== Number(m[2])) {
          return fail(`STAT says ${m[1]} messages of ${m[2]} octets, LIST lists ${lines.length} of ${sum}`);
        }
        return PASS;
      }),
  },
  {
    id: "pop3.bad-arguments",
    ref: "RFC 1939 5",
    title: "LIST, RETR and TOP with a bad message number are refused",
    expects: '"-ERR" to LIST 0, LIST and RETR one past the last message, RETR x, and TOP without its line count',
    required: true,
    run: (check) =>
      withLogin(check, async (s) => {
        const past = (await count(s)) + 1;
        return await statuses(s, ["LIST 0", `LIST ${past}`, `RETR ${past}`, "RETR x", "TOP 1"], "-ERR");
      }),
  },
  {
    id: "pop3.quit",
    ref: "RFC 1939 6",
    title: "QUIT is answered +OK, then the server closes the connection",
    expects: '"+OK", then the connection closed by the server, before and after login',
    required: true,
    async run(check) {
      for (const loggedIn of [false, true]) {
        const s = loggedIn ? await login(check) : await check.open();
        try {
          const status = await s.command("QUIT");
          if (!isOk(status)) return fail(`QUIT was answered "${status}"`);
          const after = await s.lineOrClose();
          if (after !== null) return fail(`after QUIT the server sent "${after}" and kept the connection`);
        } finally {
          await s.close();
        }
      }
      return PASS;
    },
  },
];

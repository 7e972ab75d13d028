/**
 * `check-server` against real servers: ours (every rule passes, the
 * maildrop is left as found), the deliberately broken fixture (exactly the
 * rules it breaks fail), Postfix's smtpd (the rules it fails, each a true
 * difference README.md explains, and none once its bare-newline setting is
 * on) and Dovecot's POP3 (every rule passes). Run in-process through
 * `runCheck`; check_server_cli_test.ts runs the task itself.
 */

import assert from "node:assert/strict";
import { parseCheckArgs } from "../../lib/check/args.ts";
import { runCheck } from "../../lib/check/driver.ts";
import { BROKEN_USER, withBrokenServer, withSmtpDrop } from "../helpers/broken_server.ts";
import { withDovecot } from "../helpers/dovecot.ts";
import { readRecords } from "../helpers/mailbox_file.ts";
import { withMailServers } from "../helpers/mail_servers.ts";
import { type Peer, peer, peerTest } from "../helpers/peers.ts";
import { passwordOf } from "../helpers/pop3_client.ts";
import { withPostfixRelay } from "../helpers/postfix.ts";
import { implicitTlsPort, tlsFlags, withTestCert } from "../helpers/tls.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";

/** What a run printed, its exit status, and each rule's status word. */
interface Checked {
  code: number;
  lines: string[];
  statuses: Map<string, string>;
}

const RESULT_LINE = /^(pass|FAIL|fail|not offered|skipped) +RFC \d+ [\d.]+ +([a-z0-9.-]+) /;

async function check(args: string[]): Promise<Checked> {
  const lines: string[] = [];
  const code = await runCheck(parseCheckArgs(args), { print: (line) => lines.push(line) });
  const statuses = new Map<string, string>();
  for (const line of lines) {
    const m = RESULT_LINE.exec(line);
    if (m !== null) statuses.set(m[2], m[1]);
  }
  return { code, lines, statuses };
}

/** The rules whose status is not "pass", as `id status`. */
function notPassed(run: Checked): string[] {
  return [...run.statuses].filter(([, status]) => status !== "pass").map(([id, status]) => `${id} ${status}`);
}

const ANDREW = ["--user", "Andrew", "--pass", passwordOf("Andrew")];
const OTHER_MAIL = "From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: already here\r\n\r\n.dot line\r\n";

Deno.test("check-server passes every rule against our smtpmail and popserver and leaves the maildrop as found", async () => {
  await withMailServers(async (servers) => {
    const smtp = await SmtpClient.open(servers.smtp.port);
    await smtp.send({ from: "stallings@localhost", to: ["andrew@localhost"], data: OTHER_MAIL });
    await smtp.quit();
    await smtp.close();
    const before = await readRecords(servers.root, "Andrew");
    const smtpUrl = `smtp://127.0.0.1:${servers.smtp.port}`;
    const pop3Url = `pop3://127.0.0.1:${servers.pop3.port}`;

    const smtpRun = await check([smtpUrl, "--rcpt", "andrew@localhost", "--pop3", pop3Url, ...ANDREW]);
    assert.deepEqual(notPassed(smtpRun), []);
    assert.equal(smtpRun.statuses.size, 25);
    assert.equal(smtpRun.code, 0);
    assert.match(smtpRun.lines.at(-2)!, /^Sent 8 messages to andrew@localhost, .*; deleted 8 of them through POP3/);
    assert.equal(smtpRun.lines.at(-1), "25 rules: 25 pass, 0 fail (0 required), 0 not offered, 0 skipped");

    const pop3Run = await check([pop3Url, ...ANDREW, "--smtp", smtpUrl, "--rcpt", "andrew@localhost"]);
    assert.deepEqual(notPassed(pop3Run), []);
    assert.equal(pop3Run.statuses.size, 20);
    assert.equal(pop3Run.code, 0);
    assert.deepEqual(await readRecords(servers.root, "Andrew"), before, "only the checker's messages were deleted");
  });
});

Deno.test("check-server checks over STARTTLS (--starttls) and implicit TLS (--tls) with --ca-file", async () => {
  await withTestCert(async (cert) => {
    const flags = tlsFlags(cert, true);
    await withMailServers(async (servers) => {
      const plain = { smtp: `smtp://127.0.0.1:${servers.smtp.port}`, pop3: `pop3://127.0.0.1:${servers.pop3.port}` };
      const trust = ["--ca-file", cert.certFile];
      const smtpRun = await check([plain.smtp, "--starttls", ...trust, "--rcpt", "andrew@localhost"]);
      assert.deepEqual(notPassed(smtpRun), ["smtp.dot-stuffing skipped"]);
      assert.match(smtpRun.lines[0], /^check-server smtp:\/\/127\.0\.0\.1:\d+ with STARTTLS, run /);
      const implicit = `pop3://127.0.0.1:${implicitTlsPort(servers.pop3)}`;
      const pop3Run = await check([implicit, "--tls", ...trust, ...ANDREW, "--smtp", plain.smtp]);
      assert.deepEqual(notPassed(pop3Run), []);
      assert.match(pop3Run.lines[0], /^check-server pop3:\/\/127\.0\.0\.1:\d+ over TLS, run /);
      const untrusted = await check([implicit, "--tls", ...ANDREW]);
      assert.equal(untrusted.code, 1, "a self-signed certificate without --ca-file");
      assert.match(
        untrusted.lines.join("\n"),
        /found: {4}Cannot connect to the POP3 server at 127\.0\.0\.1:\d+: .*certificate/i,
      );
    }, { smtp: flags, pop3: flags });
  });
});

Deno.test("check-server fails exactly the rules the broken fixture breaks, with the exchange that showed it", async () => {
  await withBrokenServer(async ({ smtpPort, pop3Port }) => {
    const login = ["--user", BROKEN_USER.name, "--pass", BROKEN_USER.pass];
    const smtpRun = await check([
      `smtp://127.0.0.1:${smtpPort}`,
      "--rcpt",
      "andrew@localhost",
      "--pop3",
      `pop3://127.0.0.1:${pop3Port}`,
      ...login,
    ]);
    assert.deepEqual(notPassed(smtpRun), ["smtp.dot-stuffing FAIL"]);
    assert.equal(smtpRun.code, 1);
    const at = smtpRun.lines.findIndex((line) => line.startsWith("FAIL"));
    assert.deepEqual(smtpRun.lines.slice(at + 1, at + 4), [
      '    found:    body line 2 came back as "..", sent "." (stuffed on the wire)',
      '    expected: a line sent as "..x" stored as ".x", one sent as ".." as "." (read back through POP3)',
      "    exchange (its last 40 lines of 63):",
    ]);
    assert.match(
      smtpRun.lines[at + 4],
      /^ {6}\d\d:\d\d:\d\d\.\d{3} smtp\/\d+ C: \. +# RFC 5321 4\.1\.1\.4 end of data: /,
    );

    const pop3Run = await check([`pop3://127.0.0.1:${pop3Port}`, ...login, "--smtp", `smtp://127.0.0.1:${smtpPort}`]);
    assert.deepEqual(notPassed(pop3Run), [
      "pop3.list-size FAIL",
      "pop3.retr-exact FAIL",
      "pop3.dele-rset FAIL",
      "pop3.dele-at-quit FAIL",
      "pop3.dele-quit skipped",
    ]);
    assert.equal(pop3Run.code, 1);
    assert.ok(
      pop3Run.lines.includes("    found:    STAT after RSET counts 1 (of 2 before DELE)"),
      pop3Run.lines.join("\n"),
    );
    assert.equal(pop3Run.lines.at(-1), "20 rules: 15 pass, 4 fail (4 required), 0 not offered, 1 skipped");
  });
});

/** Postfix starts its daemons as root and drops to its own user: it cannot run otherwise. */
const AS_ROOT: Peer = Deno.uid() === 0
  ? { package: "postfix", available: true, reason: "" }
  : { package: "postfix", available: false, reason: "a private Postfix needs root" };

/** What Postfix 3.7 fails as Debian configures it, each explained in README.md ("check-server"). */
const POSTFIX_OPTIONAL = ["smtp.mail-before-ehlo fail", "smtp.unknown-recipient fail", "smtp.long-command-line fail"];
const POSTFIX_SMUGGLING = [
  "smtp.data-end.lf-dot-lf FAIL",
  "smtp.data-end.lf-dot-crlf FAIL",
  "smtp.data-end.crlf-dot-lf FAIL",
];

peerTest(
  [peer("postfix"), peer("libsasl2-modules"), AS_ROOT],
  "check-server against Postfix's smtpd: only true differences fail, the bare-LF ones gone with smtpd_forbid_bare_newline",
  async () => {
    await withMailServers(async (servers) => {
      const before = await readRecords(servers.root, "Andrew").catch(() => ({ records: [] }));
      const login = { user: "Stallings", password: passwordOf("Stallings") };
      const reader = ["--pop3", `pop3://127.0.0.1:${servers.pop3.port}`, ...ANDREW];
      for (
        const [settings, expected] of [
          [{}, [...POSTFIX_OPTIONAL, ...POSTFIX_SMUGGLING]],
          [{ smtpd_forbid_bare_newline: "normalize", smtpd_forbid_bare_newline_exclusions: "" }, POSTFIX_OPTIONAL],
        ] as const
      ) {
        await withPostfixRelay({ relayPort: servers.smtp.port, ...login, settings }, async (postfix) => {
          // Postfix relays to our smtpmail, which takes mail from Stallings only in Stallings' name.
          const args = [
            `smtp://127.0.0.1:${postfix.port}`,
            "--rcpt",
            "andrew@localhost",
            "--from",
            "stallings@localhost",
          ];
          const run = await check([...args, ...reader]);
          assert.deepEqual(notPassed(run).sort(), [...expected].sort(), run.lines.join("\n"));
          assert.equal(run.code, expected.some((e) => e.endsWith("FAIL")) ? 1 : 0);
          assert.match(run.lines.at(-2)!, /^Sent 8 messages to andrew@localhost, .*; deleted 8 of them through POP3/);
        });
      }
      assert.deepEqual(await readRecords(servers.root, "Andrew").catch(() => ({ records: [] })), before);
    });
  },
);

peerTest(peer("dovecot-pop3d"), "check-server passes every rule against Dovecot's POP3 server", async () => {
  await withDovecot([{ name: "andrew", password: "secret" }], async (dovecot) => {
    await dovecot.deliver("andrew", OTHER_MAIL);
    const login = [`pop3://127.0.0.1:${dovecot.port}`, "--user", "andrew", "--pass", "secret"];
    const alone = await check(login);
    const needsOwn = ["pop3.retr-exact", "pop3.dele-rset", "pop3.dele-at-quit", "pop3.dele-quit"];
    assert.deepEqual(notPassed(alone), needsOwn.map((id) => `${id} skipped`));
    assert.equal(alone.code, 0);
    await withSmtpDrop((message) => dovecot.deliver("andrew", message), async (port) => {
      const seeded = await check([...login, "--smtp", `smtp://127.0.0.1:${port}`]);
      assert.deepEqual(notPassed(seeded), []);
      assert.equal(seeded.code, 0);
    });
    const left = await dovecot.messages("andrew");
    assert.equal(left.length, 1, `only the message that was there before: ${left}`);
  });
});

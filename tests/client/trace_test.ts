/**
 * `mailclient --trace`: the real client, run with piped input against our
 * real servers, writes every command and reply of its POP3 and SMTP
 * sessions, annotated as the servers' trace is, to the file (or to stderr
 * with `--trace=-`), never a password or the message body; the menu on
 * stdout carries no trace line. Bad trace flags: one line, exit status 2.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseClientArgs } from "../../lib/client/config.ts";
import { UsageError } from "../../lib/cli.ts";
import { ANDREW, EXAMPLE, runClientPiped, serverArgs, STALLINGS } from "../helpers/client_process.ts";
import { type MailServers, withMailServers } from "../helpers/mail_servers.ts";
import { parseTraceText, tracedLines } from "../helpers/trace.ts";

function input(lines: readonly string[]): string {
  return lines.map((l) => `${l}\n`).join("");
}

/** Runs the client with `--trace=FILE` (FILE in a fresh directory) and returns the run and the file's lines. */
async function tracedRun(servers: MailServers, lines: readonly string[], flags: string[] = []) {
  const dir = await Deno.makeTempDir({ prefix: "client_trace_" });
  try {
    const file = join(dir, "trace.log");
    const args = [`--trace=${file}`, ...flags, ...serverArgs(servers.smtp.port, servers.pop3.port)];
    const run = await runClientPiped(args, input(lines), [`--allow-write=${file}`]);
    const text = await Deno.readTextFile(file);
    return { run, text, lines: text.split("\n").filter((l) => l !== "") };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The traced lines of one session, `direction line` with what changes from run to run replaced. */
function sessionLines(lines: string[], session: string): string[] {
  const parsed = lines.map(parseTraceText).filter((l) => `${l.protocol}/${l.session}` === session);
  return tracedLines(parsed).map((l) =>
    l.replace(/127\.0\.0\.1:\d+/, "127.0.0.1:PORT").replace(/ id \S+;.*/, " id ID; DATE")
      .replace(/queued as \S+/, "queued as ID").replace(/^C Date: .*/, "C Date: DATE")
      .replace(/^C Message-ID: .*/, "C Message-ID: ID").replace(/^S 220 \S+ /, "S 220 HOST ")
      .replace(/^S 250-\S+ greets/, "S 250-HOST greets").replace(/^S 221 2\.0\.0 \S+ /, "S 221 2.0.0 HOST ")
  );
}

Deno.test("mailclient --trace=FILE writes the login and the sent mail, annotated, and keeps them off the menu", async () => {
  await withMailServers(async (servers) => {
    const { run, text, lines } = await tracedRun(servers, [...STALLINGS, "2", ...EXAMPLE, "3"]);
    assert.equal(run.stderr, "");
    assert.equal(run.status.code, 0);
    assert.match(run.stdout, /\nMail sent successfully\n/);
    assert.doesNotMatch(run.stdout, /smtp\/|pop3\/|RFC /);
    for (const line of lines) parseTraceText(line); // every line is a trace line
    assert.ok(!text.includes("network$security"), "the password never reaches the trace");
    assert.ok(!text.includes("Keep It Up"), "the body is never traced");
    assert.deepEqual(sessionLines(lines, "pop3/1").filter((l) => !/^S [A-Z-]+( |$)/.test(l)), [
      "- connected to 127.0.0.1:PORT",
      "- state AUTHORIZATION",
      "S +OK vm POP3 server ready",
      "C CAPA",
      "S +OK Capability list follows",
      "S .",
      "C USER Stallings",
      "S +OK Send your password",
      "C PASS ****",
      "S +OK Stallings's maildrop has 0 messages (0 octets)",
      "- state TRANSACTION",
      "C QUIT",
      "S +OK vm POP3 server signing off (0 messages left)",
      "- state UPDATE",
      "- connection closed",
    ]);
    const smtp = sessionLines(lines, "smtp/2");
    // RFC 1870: SIZE counts the DATA octets, end marker included; the trace counts the message without it.
    const size = Number(/SIZE=(\d+)/.exec(smtp.find((l) => l.startsWith("C MAIL")) ?? "")?.[1]);
    const counted = smtp.findIndex((l) => l === `C [message: ${size - 3} bytes; only its first header lines shown]`);
    assert.ok(counted > 0, smtp.join("\n"));
    smtp[counted] = "C [message: N bytes; only its first header lines shown]";
    assert.deepEqual(smtp.filter((l) => !l.startsWith("S 250-")), [
      "- connected to 127.0.0.1:PORT",
      "S 220 HOST ESMTP smtpmail ready",
      "- state connected",
      "C EHLO [127.0.0.1]",
      "S 250 HELP",
      "- state greeted",
      "C AUTH PLAIN ****",
      "S 235 2.7.0 Authentication succeeded",
      `C MAIL FROM:<stallings@localhost> SIZE=${size}`,
      "S 250 2.1.0 Sender OK",
      "- state mail",
      "C RCPT TO:<andrew@localhost>",
      "S 250 2.1.5 Recipient OK",
      "- state recipients",
      "C DATA",
      "S 354 End data with <CR><LF>.<CR><LF>",
      "- state data",
      "C From: stallings@localhost",
      "C To: andrew@localhost",
      "C Subject: Network Lab Experiment 7",
      "C Date: DATE",
      "C Message-ID: ID",
      "C [message: N bytes; only its first header lines shown]",
      "C .",
      "S 250 2.0.0 OK queued as ID",
      "- state greeted",
      "C QUIT",
      "S 221 2.0.0 HOST closing connection",
      "- connection closed",
    ]);
    const notes = new Map(lines.map(parseTraceText).map((l) => [l.line, l.note]));
    assert.equal(notes.get("PASS ****"), "RFC 1939 7 PASS: gives the password (masked here)");
    assert.equal(
      notes.get("AUTH PLAIN ****"),
      "RFC 4954 4 AUTH: starts a SASL login (its credentials are masked here)",
    );
    assert.equal(notes.get("RCPT TO:<andrew@localhost>"), "RFC 5321 4.1.1.3 RCPT: names one recipient of the message");
    assert.equal(notes.get("250-SIZE 10485760"), "RFC 1870 SIZE: the largest message the server takes, in octets");
  });
});

Deno.test("mailclient --trace=- --trace-format json writes JSON records of listing, reading and deleting to stderr", async () => {
  await withMailServers(async (servers) => {
    await tracedRun(servers, [...STALLINGS, "2", ...EXAMPLE, "3"]);
    const args = ["--trace=-", "--trace-format", "json", ...serverArgs(servers.smtp.port, servers.pop3.port)];
    const run = await runClientPiped(args, input([...ANDREW, "1", "1", "d", "q", "3"]));
    assert.equal(run.status.code, 0);
    assert.match(run.stdout, /Mail 1 deleted/);
    assert.doesNotMatch(run.stdout, /"protocol"/);
    const records = run.stderr.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
    assert.ok(records.length > 20);
    for (const r of records) {
      assert.deepEqual(Object.keys(r), ["time", "protocol", "session", "direction", "line", "note"]);
      assert.equal(r.protocol, "pop3");
    }
    const reading = records.filter((r) => r.session === 2).map((r) => `${r.direction} ${r.line}`);
    const retr = reading.indexOf("C RETR 1");
    assert.ok(retr > 0, reading.join("\n"));
    assert.deepEqual(reading.slice(retr, retr + 6), [
      "C RETR 1",
      reading[retr + 1],
      "S From: stallings@localhost",
      "S To: andrew@localhost",
      "S Subject: Network Lab Experiment 7",
      reading[retr + 5],
    ]);
    assert.match(reading[retr + 1], /^S \+OK \d+ octets$/);
    assert.ok(reading.includes("C DELE 1"));
    const size = /^S \+OK (\d+) octets$/.exec(reading[retr + 1])?.[1];
    assert.ok(reading.includes(`S [message: ${size} bytes; only its first header lines shown]`), reading.join("\n"));
    assert.deepEqual(reading.slice(-4), [
      "C QUIT",
      "S +OK vm POP3 server signing off (0 messages left)",
      "- state UPDATE",
      "- connection closed",
    ]);
    assert.ok(!run.stderr.includes("@dministr@tor") && !run.stderr.includes("Keep It Up"));
  });
});

Deno.test("parseClientArgs reads --trace, --trace=FILE, --trace - and --trace-format", () => {
  const cases: [string[], unknown][] = [
    [[], undefined],
    [["--trace"], { file: "mailclient-trace.log", format: "text" }],
    [["--trace", "-"], { file: "-", format: "text" }],
    [["--trace=-", "--trace-format", "json"], { file: "-", format: "json" }],
    [["--trace=t.log", "host"], { file: "t.log", format: "text" }],
    [["--trace", "host", "25"], { file: "mailclient-trace.log", format: "text" }],
  ];
  for (const [args, trace] of cases) assert.deepEqual(parseClientArgs(args).trace, trace, args.join(" "));
  assert.equal(parseClientArgs(["--trace", "host", "25"]).host, "host");
  for (const bad of [["--trace="], ["--trace-format", "json"], ["--trace", "--trace-format", "xml"]]) {
    assert.throws(() => parseClientArgs(bad), UsageError, bad.join(" "));
  }
});

Deno.test("mailclient with a bad trace flag prints one line and exits with status 2", async () => {
  for (const args of [["--trace-format", "xml", "--trace"], ["--trace-format", "json"], ["--trace="]]) {
    const run = await runClientPiped(args, "");
    assert.equal(run.status.code, 2, args.join(" "));
    assert.equal(run.stdout, "");
    assert.equal(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, /--trace.*Usage: mailclient\.ts /);
  }
});

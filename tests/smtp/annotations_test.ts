/**
 * The SMTP annotation tables: every entry has a meaning and an RFC
 * reference, every command, reply code, enhanced status code and EHLO
 * keyword the server uses has an entry, and the lookups word commands,
 * replies and states as the trace shows them.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  SMTP_CLIENT_LINES,
  SMTP_COMMANDS,
  SMTP_EHLO_KEYWORDS,
  SMTP_EVENTS,
  SMTP_REPLIES_TO,
  SMTP_REPLY_CLASSES,
  SMTP_REPLY_CODES,
  SMTP_SERVER_LINES,
  SMTP_STATES,
  SMTP_STATUS_CODES,
  smtpCommandNote,
  smtpKeywordNote,
  smtpReplyNote,
  smtpStateNote,
} from "../../lib/smtp/annotations.ts";
import { ALLOWED, ehloKeywords, type SmtpState } from "../../lib/smtp/rules.ts";
import { parseCommand } from "../../lib/smtp/command.ts";
import { type Annotation, RFC_REF } from "../../lib/trace/annotation.ts";
import { REPO_ROOT } from "../helpers/server_process.ts";

const TABLES: Record<string, Readonly<Record<string | number, Annotation>>> = {
  SMTP_COMMANDS,
  SMTP_CLIENT_LINES,
  SMTP_REPLY_CODES,
  SMTP_REPLY_CLASSES,
  SMTP_REPLIES_TO,
  SMTP_STATUS_CODES,
  SMTP_EHLO_KEYWORDS,
  SMTP_STATES,
  SMTP_SERVER_LINES,
  SMTP_EVENTS,
};

Deno.test("every SMTP annotation has a meaning and an RFC reference", () => {
  for (const [table, entries] of Object.entries(TABLES)) {
    for (const [key, entry] of Object.entries(entries)) {
      assert.match(entry.ref, RFC_REF, `${table}[${key}].ref`);
      assert.ok(entry.meaning.length >= 8, `${table}[${key}] has a meaning`);
      assert.doesNotMatch(entry.meaning, /^[A-Z][a-z]|\.$/, `${table}[${key}]: lower case, no full stop`);
    }
  }
});

/** The SMTP sources that build replies. */
async function smtpSources(): Promise<string> {
  const dir = join(REPO_ROOT, "lib", "smtp");
  const texts: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".ts")) texts.push(await Deno.readTextFile(join(dir, entry.name)));
  }
  return texts.join("\n");
}

Deno.test("every reply code and enhanced status code the SMTP server sends has an entry", async () => {
  const source = await smtpSources();
  const used = [...source.matchAll(/\b(?:reply|plainReply)\(\s*(\d{3})(?:,\s*"(\d+\.\d+)")?/g)];
  assert.ok(used.length > 30, `found ${used.length} replies`);
  for (const [call, code, status] of used) {
    assert.ok(SMTP_REPLY_CODES[Number(code)], `${call}: reply code ${code}`);
    if (status !== undefined) assert.ok(SMTP_STATUS_CODES[status], `${call}: status ${status}`);
  }
});

Deno.test("every verb the SMTP parser knows has an entry, and every entry is a verb it knows", async () => {
  const command = await Deno.readTextFile(join(REPO_ROOT, "lib", "smtp", "command.ts"));
  const unimplemented = /const UNIMPLEMENTED = new Set\(\[([^\]]*)\]/.exec(command)![1].match(/[A-Z]+/g)!;
  for (const verb of [...Object.keys(ALLOWED), ...unimplemented]) assert.ok(SMTP_COMMANDS[verb], verb);
  for (const verb of Object.keys(SMTP_COMMANDS)) {
    const parsed = parseCommand(`${verb} x`);
    assert.ok(!("error" in parsed) || parsed.error !== "unknown", `${verb} is parsed`);
  }
});

Deno.test("every EHLO keyword the server offers has an entry", () => {
  for (const line of ehloKeywords({ maxMessageSize: 1000, starttls: true, auth: ["PLAIN", "LOGIN"] })) {
    assert.ok(smtpKeywordNote(line), line);
  }
});

Deno.test("smtpCommandNote words each command with its RFC section, whatever its case", () => {
  const cases: [string, string][] = [
    ["MAIL", "RFC 5321 4.1.1.2 MAIL: starts a mail transaction, giving the sender's address"],
    ["rcpt", "RFC 5321 4.1.1.3 RCPT: names one recipient of the message"],
    ["Ehlo", "RFC 5321 4.1.1.1 EHLO: the client introduces itself and asks for the server's extensions"],
    ["STARTTLS", "RFC 3207 4 STARTTLS: asks to switch the connection to TLS"],
    ["AUTH", "RFC 4954 4 AUTH: starts a SASL login (its credentials are masked here)"],
    ["QUIT", "RFC 5321 4.1.1.10 QUIT: asks the server to close the session"],
    ["XYZZY", "RFC 5321 4.2.4 unknown command: not a command this server knows: expect 500"],
    ["", "RFC 5321 4.2.4 unknown command: not a command this server knows: expect 500"],
  ];
  for (const [verb, note] of cases) assert.equal(smtpCommandNote(verb), note, verb);
});

Deno.test("smtpReplyNote words the reply code, the enhanced status code and the command answered", () => {
  const cases: [number, string | undefined, string | undefined, string][] = [
    [220, undefined, undefined, "RFC 5321 4.2.3 220: service ready"],
    [
      550,
      "5.1.1",
      "RCPT",
      "RFC 5321 4.2.3 550: not taken: mailbox unavailable or not allowed; " +
      "RFC 3463 5.1.1: bad destination mailbox address",
    ],
    [
      250,
      "2.1.5",
      "RCPT",
      "RFC 5321 4.2.3 250: requested action okay, completed; RFC 3463 2.1.5: destination address valid",
    ],
    [
      250,
      "2.0.0",
      ".",
      "RFC 5321 4.1.1.4 250: the message is accepted: the server is now responsible for it; " +
      "RFC 3463 2.0.0: other or undefined status",
    ],
    [
      220,
      "2.0.0",
      "STARTTLS",
      "RFC 3207 4 220: go ahead: the TLS handshake starts now; RFC 3463 2.0.0: other or undefined status",
    ],
    [
      535,
      "5.7.8",
      "AUTH",
      "RFC 4954 6 535: authentication credentials invalid; RFC 4954 6 5.7.8: authentication credentials invalid",
    ],
    [452, "4.2.2", ".", "RFC 5321 4.2.3 452: not taken for now: insufficient storage; RFC 3463 4.2.2: mailbox full"],
    [
      553,
      "5.6.7",
      "MAIL",
      "RFC 5321 4.2.3 553: not taken: mailbox name not allowed; " +
      "RFC 6531 5.6.7: non-ASCII addresses not permitted for that sender or recipient",
    ],
    [250, "2.9.9", "NOOP", "RFC 5321 4.2.3 250: requested action okay, completed"],
    [599, undefined, "MAIL", "RFC 5321 4.2.1 5yz: permanent negative: not done, do not repeat as it is"],
    [0, undefined, undefined, "RFC 5321 4.2 0yz: not a valid reply code: the first digit must be 2 to 5"],
  ];
  for (const [code, status, answering, note] of cases) {
    assert.equal(smtpReplyNote(code, status, answering), note, `${code} ${status} to ${answering}`);
  }
});

Deno.test("smtpStateNote names the states greeted, mail, recipients, data", () => {
  const cases: [SmtpState, string, string][] = [
    [
      "greet",
      "state connected",
      "RFC 5321 4.1.4 connected state: the server has greeted; the client must send EHLO or HELO first",
    ],
    ["ready", "state greeted", "RFC 5321 4.1.4 greeted state: no mail transaction under way; MAIL starts one"],
    ["mail", "state mail", "RFC 5321 3.3 mail state: the transaction has its sender; RCPT names recipients"],
    ["rcpt", "state recipients", "RFC 5321 3.3 recipients state: recipients accepted; more RCPT, or DATA"],
    ["data", "state data", 'RFC 5321 4.1.1.4 data state: the message follows, up to a line holding only "."'],
    ["auth", "state auth", "RFC 4954 4 auth state: a SASL exchange is under way: each client line answers a 334"],
  ];
  for (const [state, line, note] of cases) assert.deepEqual(smtpStateNote(state), { line, note }, state);
});

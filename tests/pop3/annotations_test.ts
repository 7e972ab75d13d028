/**
 * The POP3 annotation tables: every entry has a meaning and an RFC
 * reference, every command, response code and capability the server uses
 * has an entry, and the lookups word commands, replies and states as the
 * trace shows them.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  POP3_CAPABILITIES,
  POP3_CLIENT_LINES,
  POP3_COMMANDS,
  POP3_EVENTS,
  POP3_RESPONSE_CODES,
  POP3_SERVER_LINES,
  POP3_STATES,
  pop3CapabilityNote,
  pop3CommandNote,
  pop3StateNote,
  pop3StatusNote,
} from "../../lib/pop3/annotations.ts";
import { parsePop3Command } from "../../lib/pop3/command.ts";
import { Pop3Login } from "../../lib/pop3/login.ts";
import type { Pop3State } from "../../lib/pop3/session_types.ts";
import { type Annotation, RFC_REF } from "../../lib/trace/annotation.ts";
import { REPO_ROOT } from "../helpers/server_process.ts";

const TABLES: Record<string, Readonly<Record<string, Annotation>>> = {
  POP3_COMMANDS,
  POP3_CLIENT_LINES,
  POP3_SERVER_LINES,
  POP3_RESPONSE_CODES,
  POP3_CAPABILITIES,
  POP3_STATES,
  POP3_EVENTS,
};

Deno.test("every POP3 annotation has a meaning and an RFC reference", () => {
  for (const [table, entries] of Object.entries(TABLES)) {
    for (const [key, entry] of Object.entries(entries)) {
      assert.match(entry.ref, RFC_REF, `${table}[${key}].ref`);
      assert.ok(entry.meaning.length >= 8, `${table}[${key}] has a meaning`);
      assert.doesNotMatch(entry.meaning, /^[A-Z][a-z]|\.$/, `${table}[${key}]: lower case, no full stop`);
    }
  }
  for (const [verb, entry] of Object.entries(POP3_COMMANDS)) {
    assert.ok(entry.ok.length >= 5 && entry.err.length >= 5, `${verb} has +OK and -ERR meanings`);
  }
});

/** Every `case "VERB":` of the POP3 parser. */
async function parsedVerbs(): Promise<string[]> {
  const source = await Deno.readTextFile(join(REPO_ROOT, "lib", "pop3", "command.ts"));
  return [...source.matchAll(/case "([A-Z]+)":/g), ...source.matchAll(/verb === "([A-Z]+)"/g)].map((m) => m[1]);
}

Deno.test("every command the POP3 parser knows has an entry, and every entry but APOP is parsed", async () => {
  const verbs = await parsedVerbs();
  assert.ok(verbs.length >= 14, verbs.join(" "));
  for (const verb of verbs) assert.ok(POP3_COMMANDS[verb], verb);
  for (const verb of Object.keys(POP3_COMMANDS).filter((v) => v !== "APOP")) {
    const parsed = parsePop3Command(`${verb} 1`);
    assert.ok(!("error" in parsed) || parsed.error !== "unknown", `${verb} is parsed`);
  }
});

Deno.test("every response code and capability the POP3 server sends has an entry", async () => {
  const dir = join(REPO_ROOT, "lib", "pop3");
  let codes = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".ts") || entry.name === "annotations.ts") continue;
    const source = await Deno.readTextFile(join(dir, entry.name));
    for (const [, code] of source.matchAll(/["`]\[([A-Z][A-Z/-]*)\] /g)) {
      codes++;
      assert.ok(POP3_RESPONSE_CODES[code], `${entry.name}: [${code}]`);
    }
  }
  assert.ok(codes >= 5, `found ${codes} response codes`);
  const login = new Pop3Login({ tls: "available", loopback: true, allowPlaintextLogin: false });
  for (const line of login.capabilities(true)) assert.ok(pop3CapabilityNote(line), line);
});

Deno.test("pop3CommandNote words each command with its RFC section, whatever its case", () => {
  const cases: [string, string][] = [
    ["USER", "RFC 1939 7 USER: names the maildrop to log in to"],
    ["pass", "RFC 1939 7 PASS: gives the password (masked here)"],
    ["RETR", "RFC 1939 5 RETR: asks for a whole message"],
    ["Dele", "RFC 1939 5 DELE: marks a message deleted; it is removed at QUIT"],
    ["STLS", "RFC 2595 4 STLS: asks to switch the connection to TLS"],
    ["CAPA", "RFC 2449 5 CAPA: asks for the server's capabilities"],
    ["XTND", "RFC 1939 3 unknown command: not a command this server knows: expect -ERR"],
  ];
  for (const [keyword, note] of cases) assert.equal(pop3CommandNote(keyword), note, keyword);
});

Deno.test("pop3StatusNote words +OK and -ERR for the command answered, and the response code", () => {
  const cases: [string, string | undefined, string][] = [
    ["+OK host POP3 server ready", undefined, "RFC 1939 4 greeting +OK: the server is ready; the client must log in"],
    ["+OK Andrew's maildrop has 1 message", "PASS", "RFC 1939 7 PASS +OK: logged in: the maildrop is locked and ready"],
    [
      "-ERR [AUTH] Invalid user name or password",
      "PASS",
      "RFC 1939 7 PASS -ERR: wrong name or password, or the maildrop cannot be locked; " +
      "RFC 3206 5 [AUTH]: the credentials are the problem (wrong, or refused as sent)",
    ],
    [
      "-ERR [IN-USE] Maildrop is already locked by another session",
      "PASS",
      "RFC 1939 7 PASS -ERR: wrong name or password, or the maildrop cannot be locked; " +
      "RFC 2449 8.1.2 [IN-USE]: the password was right, but another session holds the maildrop",
    ],
    [
      "-ERR [SYS/TEMP] Server shutting down",
      "STAT",
      "RFC 1939 5 STAT -ERR: not allowed in this state; RFC 3206 4 [SYS/TEMP]: a temporary problem of the server: try again later",
    ],
    ["+OK 2 320", "STAT", "RFC 1939 5 STAT +OK: count and size in octets"],
    ["+OK", "QUIT", "RFC 1939 6 QUIT +OK: goodbye; deletions done"],
    ["-ERR Unknown command XTND", "XTND", "RFC 1939 3 -ERR: no command this server carries out, so the reply is -ERR"],
    ["-ERR [X-NEW] something", "RETR", "RFC 1939 5 RETR -ERR: no such message, or not allowed in this state"],
  ];
  for (const [line, answering, note] of cases) assert.equal(pop3StatusNote(line, answering), note, line);
});

Deno.test("pop3StateNote names the states AUTHORIZATION, TRANSACTION, UPDATE", () => {
  const cases: [Pop3State, string, string][] = [
    [
      "authorization",
      "state AUTHORIZATION",
      "RFC 1939 4 AUTHORIZATION state: the client must identify itself (USER and PASS, or AUTH)",
    ],
    [
      "transaction",
      "state TRANSACTION",
      "RFC 1939 5 TRANSACTION state: the maildrop is locked: read, list, mark messages deleted",
    ],
    ["update", "state UPDATE", "RFC 1939 6 UPDATE state: deletions are carried out now, then the session ends"],
  ];
  for (const [state, line, note] of cases) assert.deepEqual(pop3StateNote(state), { line, note }, state);
});

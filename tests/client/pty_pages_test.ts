/**
 * Manage Mail in a pseudo-terminal of 80 x 24 on a mailbox of 3,000
 * messages, as a person uses it: the list a screen at a time (n, p, End),
 * every line within the width as the terminal draws it (checked with
 * Python's unicodedata, not with the client's own table: wide CJK and emoji,
 * combining accents, over-long subjects), any mail opened by its serial
 * number, a long mail paged, and only the screens' headers fetched.
 */

import assert from "node:assert/strict";
import { PtySession, serverArgs } from "../helpers/client_process.ts";
import { listedMessage, writeMailbox } from "../helpers/client_mailbox.ts";
import { withMailServers } from "../helpers/mail_servers.ts";
import { waitForSessions } from "../helpers/pop3_server.ts";

const SIZE = { columns: 80, rows: 24 };
const COUNT = 3000;
/** Mails on one page: the screen less the title, the notice line and the prompt. */
const PER_PAGE = SIZE.rows - 3;

const encoder = new TextEncoder();
const encodedWord = (text: string) => `=?utf-8?b?${btoa(String.fromCharCode(...encoder.encode(text)))}?=`;

/** Subjects of four kinds in turn: too long, wide (CJK), combining accents, emoji. */
function subject(n: number): string {
  switch (n % 4) {
    case 0:
      return `Long subject ${n} ${"lorem ipsum ".repeat(15)}`;
    case 1:
      return encodedWord(`会議の議事録と来週の予定について ${n} 東京本社の全員へ重要なお知らせ`);
    case 2:
      return encodedWord(`Cafe\u0301 de\u0301ja\u0300 vu ${n} `.repeat(6));
    default:
      return encodedWord(`📬 mail ${n} 🎉 `.repeat(8));
  }
}

/** Message 1 is long: 120 lines of 100 characters, which wrap at 80. */
function message(n: number): string {
  if (n !== 1) return listedMessage(n, subject(n));
  const body = Array.from({ length: 120 }, (_, i) => `line ${String(i + 1).padStart(3, "0")} ${"y".repeat(91)}`);
  return listedMessage(1, "A long mail").replace(/Message number 1\.\r\n$/, `${body.join("\r\n")}\r\n`);
}

const WIDTHS_PY = `
import json, sys, unicodedata
def width(text):
    w = 0
    for c in text:
        if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
            continue
        w += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return w
print(json.dumps([width(line) for line in json.load(sys.stdin)]))
`;

/** The columns each line takes on a terminal, by Python's Unicode database. */
async function drawnWidths(lines: string[]): Promise<number[]> {
  const child = new Deno.Command("python3", { args: ["-c", WIDTHS_PY], stdin: "piped", stdout: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(encoder.encode(JSON.stringify(lines)));
  await writer.close();
  return JSON.parse(new TextDecoder().decode((await child.output()).stdout));
}

/** Asserts that the screen drawn after `from` is one full page: 24 lines, none wider than 80 columns. */
async function assertOnePage(pty: PtySession, from: number, first: number): Promise<void> {
  const drawn = pty.screen.slice(from).replace(/^[^\n]*\n/, "").split("\n");
  assert.equal(drawn.length, SIZE.rows, drawn.join("\n"));
  assert.match(drawn[0], /^Sl\. No\. +Sender +Received +Subject$/);
  assert.match(drawn[1], new RegExp(`^${first} +sender${first}@example\\.org `));
  const widths = await drawnWidths(drawn);
  assert.ok(widths.every((w) => w <= SIZE.columns), `widths ${widths}\n${drawn.join("\n")}`);
  assert.ok(widths.slice(1, -2).some((w) => w >= SIZE.columns - 1), "long subjects fill the line");
}

Deno.test("mailclient on a terminal pages a list of 3,000 mails within the width and fetches only what it shows", async () => {
  await withMailServers(async (servers) => {
    const args = serverArgs(servers.smtp.port, servers.pop3.port);
    const pty = await PtySession.start(PtySession.clientLine(args, "", SIZE));
    let at = await pty.waitFor(/Username: $/);
    await pty.type("Andrew\r@dministr@tor\r");
    at = await pty.waitFor(/\(1-3\): $/, at);
    await pty.type("1\r");
    const page = (first: number, last: number) => new RegExp(`Mails ${first}-${last} of ${COUNT}\\. .*: $`);
    let next = await pty.waitFor(page(1, PER_PAGE), at);
    await assertOnePage(pty, at, 1);
    for (const [key, first] of [["n", PER_PAGE + 1], ["p", 1], ["\x1b[F", COUNT - (COUNT % PER_PAGE) + 1]] as const) {
      at = next;
      await pty.type(key);
      next = await pty.waitFor(page(first, Math.min(COUNT, first + PER_PAGE - 1)), at);
      await assertOnePage(pty, at, first);
    }

    await pty.type("2998\r");
    at = await pty.waitFor(/any other key to see the list again: $/, next);
    assert.match(pty.screen.slice(next), /Subject: {2}Cafe\u0301 de\u0301ja\u0300 vu 2998 /);
    await pty.type("1\r");
    at = await pty.waitFor(page(COUNT - (COUNT % PER_PAGE) + 1, COUNT), at);
    await pty.type("1\r");
    const opened = at;
    at = await pty.waitFor(/Lines 1-23 of 245\. .*: $/, at);
    assert.match(pty.screen.slice(opened), /\nline 009 y{71}\ny{20}\nLines 1-23/, "lines wrap at 80 columns");
    await pty.type(" ");
    at = await pty.waitFor(/Lines 24-46 of 245\. .*: $/, at);
    await pty.type("x");
    at = await pty.waitFor(page(COUNT - (COUNT % PER_PAGE) + 1, COUNT), at);
    await pty.type("q");
    at = await pty.waitFor(/signing off \(3000 messages left\)\n\nOptions:[^]*\(1-3\): $/, at);
    await pty.type("3\r");
    assert.equal((await pty.finish()).code, 0, pty.screen);

    const log = (await waitForSessions(servers.pop3, 2)).at(-1)!;
    const top = Number(/ top=(\d+)/.exec(log)?.[1]);
    assert.ok(top > 0 && top <= 5 * PER_PAGE, `headers fetched: ${log}`);
  }, { prepare: (root) => writeMailbox(root, "Andrew", COUNT, message) });
});

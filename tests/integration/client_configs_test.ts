/**
 * README.md's "Using it with your mail client", run as written: each
 * client's configuration block (ports changed to the test servers') and the
 * commands the README gives with it, against both servers started as
 * `deno task servers` and `deno task servers:tls` start them. What a client
 * fetched is compared byte for byte with what the server stored, less the
 * changes the client is known to make (fetchmail's Received line and LF
 * line ends; getmail's headers). Thunderbird has no test.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
// Puts the nodemailer that deno.json maps into node_modules, where `node` finds it as after `npm install nodemailer`.
import "nodemailer";
import { assertBytesEqual, decode } from "../helpers/bytes.ts";
import { type ClientSandbox, readmeSays, type ServerMode, withClientSandbox } from "../helpers/client_sandbox.ts";
import { PtySession } from "../helpers/client_process.ts";
import { delivered, unstuff } from "../helpers/mailbox_file.ts";
import { needing, type Peer, peer } from "../helpers/peers.ts";
import { REPO_ROOT } from "../helpers/server_process.ts";

/** A message with a line that gets dot-stuffed on the wire. */
const MAIL = "From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: read me\r\n\r\nHello, Andrew.\r\n.dot\r\n";

/** Registers the test of one README block, plain and with TLS. */
function clientTest(
  client: string,
  peers: { plain: Peer[]; tls: Peer[] },
  what: string,
  fn: (box: ClientSandbox, block: string, mode: ServerMode) => Promise<void>,
): void {
  for (const mode of ["servers", "servers:tls"] as const) {
    const block = mode === "servers" ? client : `${client}-tls`;
    const needs = mode === "servers" ? peers.plain : peers.tls;
    Deno.test(needing(needs, `README's ${block} configuration ${what}`, async () => {
      await withClientSandbox(mode, (box) => fn(box, block, mode));
    }));
  }
}

/** The protocol in our trace line: the TLS blocks log in under TLS, the plain ones send without AUTH. */
function expectedProtocol(mode: ServerMode): string {
  return mode === "servers" ? "ESMTP" : "ESMTPSA";
}

/** The messages in `user`'s mailbox as POP3 serves them. */
async function messages(box: ClientSandbox, user: string): Promise<Uint8Array[]> {
  return (await box.records(user)).map(unstuff);
}

/** Asserts `user` holds `count` messages with `subject`, sent with `protocol`; returns them as POP3 serves them. */
async function assertSent(
  box: ClientSandbox,
  user: string,
  count: number,
  subject: string,
  protocol: string,
): Promise<Uint8Array[]> {
  const records = await box.records(user);
  assert.equal(records.length, count, `${user}'s messages`);
  for (const record of records) {
    assert.match(decode(record), new RegExp(`^Subject: ${subject}\r$`, "m"));
    assert.equal(delivered(record).trace.protocol, protocol);
  }
  return records.map(unstuff);
}

/** Runs a README inline command, after checking the README gives it. */
async function readmeCommand(box: ClientSandbox, command: string, asUser = false) {
  assert.ok(await readmeSays(command), `README.md no longer says \`${command}\``);
  const run = await box.shell(command, { asUser });
  assert.equal(run.code, 0, `${command}:\n${run.log}`);
  return run;
}

clientTest(
  "fetchmail",
  { plain: [peer("fetchmail")], tls: [peer("fetchmail")] },
  "fetches and deletes",
  async (box, block) => {
    await box.deliver("andrew@localhost", MAIL);
    const [stored] = await messages(box, "Andrew");
    await Deno.writeTextFile(join(box.home, ".fetchmailrc"), box.config(block), { mode: 0o600 });
    await readmeCommand(box, "mkdir -p ~/fetched");
    await readmeCommand(box, "fetchmail");
    const files = [...Deno.readDirSync(join(box.home, "fetched"))];
    assert.equal(files.length, 1);
    const text = await Deno.readTextFile(join(box.home, "fetched", files[0].name));
    // fetchmail puts its own Received field above the first one and turns CRLF into LF; nothing else changes.
    const added = /^Received: from \S+ \[127\.0\.0\.1\]\n\tby \S+ with POP3 \(fetchmail-[\d.]+\)\n\tfor .*\n/m
      .exec(text);
    assert.ok(added, text);
    assert.equal(text.replace(added[0], ""), decode(stored).replaceAll("\r\n", "\n"));
    assert.deepEqual(await messages(box, "Andrew"), [], "deleted on the server");
  },
);

clientTest(
  "getmail",
  { plain: [peer("getmail6")], tls: [peer("getmail6")] },
  "fetches what it has not seen",
  async (box, block) => {
    await box.deliver("andrew@localhost", MAIL);
    const [stored] = await messages(box, "Andrew");
    await Deno.mkdir(join(box.home, ".getmail"));
    await Deno.writeTextFile(join(box.home, ".getmail", "getmailrc"), box.config(block));
    await readmeCommand(box, "mkdir -p ~/Maildir/cur ~/Maildir/new ~/Maildir/tmp", true);
    await readmeCommand(box, "getmail", true);
    await box.deliver("andrew@localhost", MAIL.replace("read me", "read me too"));
    await readmeCommand(box, "getmail", true);
    const fetched = [...Deno.readDirSync(join(box.home, "Maildir", "new"))].map((f) =>
      Deno.readTextFileSync(join(box.home, "Maildir", "new", f.name))
    );
    assert.equal(fetched.length, 2, "each message once");
    const first = fetched.find((text) => /^Subject: read me$/m.test(text));
    assert.ok(first !== undefined);
    // getmail adds its own header lines and refolds long ones; the body stays as stored, with LF line ends.
    const body = decode(stored).slice(decode(stored).indexOf("\r\n\r\n")).replaceAll("\r\n", "\n");
    assert.ok(first.endsWith(body), first);
    assert.equal((await messages(box, "Andrew")).length, 2, "left on the server");
  },
);

const MUTT_SEND = "echo 'Hello, Stallings.' | mutt -s 'hello from mutt' stallings@localhost";

clientTest(
  "mutt",
  { plain: [peer("mutt")], tls: [peer("mutt")] },
  "sends, lists, reads and deletes",
  async (box, block, mode) => {
    await Deno.writeTextFile(join(box.home, ".muttrc"), box.config(block));
    await readmeCommand(box, MUTT_SEND);
    const [sent] = await assertSent(box, "Stallings", 1, "hello from mutt", mode === "servers" ? "ESMTPA" : "ESMTPSA");
    assert.match(decode(sent), /\r\n\r\nHello, Stallings\.\r\n$/);

    await box.deliver("andrew@localhost", MAIL);
    const pty = await PtySession.start(`cd '${box.dir}' && HOME='${box.home}' TERM=vt100 mutt; echo "exit=$?"`);
    try {
      let at = await pty.waitFor(/Mail does not exist\. Create it\?/);
      await pty.type("y");
      at = await pty.waitFor(/read me/, at);
      await pty.type("\r");
      at = await pty.waitFor(/Hello, Andrew\./, at);
      await pty.type("idq");
      at = await pty.waitFor(/Purge 1 deleted message\?/, at);
      await pty.type("y");
      await pty.waitFor(/exit=0/, at);
    } finally {
      await pty.finish();
    }
    assert.deepEqual(await messages(box, "Andrew"), [], "deleted on the server");
  },
);

clientTest("curl", { plain: [], tls: [] }, "sends, lists and retrieves byte for byte", async (box, block, mode) => {
  const run = await box.shell(box.config(block));
  assert.equal(run.code, 0, run.log);
  const count = mode === "servers" ? 1 : 2;
  const messages = await assertSent(box, "Andrew", count, "hello from curl", mode === "servers" ? "ESMTP" : "ESMTPSA");
  const listing = mode === "servers" ? [new TextEncoder().encode(`1 ${messages[0].length}\r\n`)] : [];
  assertBytesEqual(run.stdout, new Uint8Array([...listing.flatMap((l) => [...l]), ...messages.flatMap((m) => [...m])]));
});

const SWAKS = peer("swaks");
clientTest("swaks", { plain: [SWAKS], tls: [SWAKS, peer("libnet-ssleay-perl")] }, "sends", async (box, block, mode) => {
  const run = await box.shell(box.config(block));
  assert.equal(run.code, 0, run.log);
  const messages = await assertSent(
    box,
    "Andrew",
    mode === "servers" ? 1 : 2,
    "hello from swaks",
    expectedProtocol(mode),
  );
  for (const message of messages) assert.match(decode(message), /\r\n\r\nHello, Andrew\.\r\n/);
});

clientTest("python", { plain: [], tls: [] }, "sends and retrieves byte for byte", async (box, block, mode) => {
  const run = await box.run("python3", ["-c", box.config(block)]);
  assert.equal(run.code, 0, run.log);
  const messages = await assertSent(
    box,
    "Andrew",
    mode === "servers" ? 1 : 2,
    "hello from Python",
    expectedProtocol(mode),
  );
  // poplib gives lines without their CRLF; the script joins them and print() ends each message with LF.
  const printed = messages.map((m) => decode(m).replace(/\r\n$/, "\n")).join("");
  assert.equal(decode(run.stdout), printed);
});

const NODE = peer("nodejs");
clientTest("nodemailer", { plain: [NODE], tls: [NODE] }, "sends", async (box, block, mode) => {
  await Deno.writeTextFile(join(box.dir, "send.mjs"), box.config(block));
  await Deno.mkdir(join(box.dir, "node_modules"));
  await Deno.symlink(join(REPO_ROOT, "node_modules", "nodemailer"), join(box.dir, "node_modules", "nodemailer"));
  const run = await box.run("node", ["send.mjs"]);
  assert.equal(run.code, 0, run.log);
  const count = mode === "servers" ? 1 : 2;
  assert.match(decode(run.stdout), new RegExp(`^(250 2\\.0\\.0 OK queued as \\S+\\n){${count}}$`));
  await assertSent(box, "Andrew", count, "hello from nodemailer", expectedProtocol(mode));
});

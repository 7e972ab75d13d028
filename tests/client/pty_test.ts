/**
 * The client in a pseudo-terminal (util-linux `script`), as a person uses
 * it: the password is not echoed, a lone `d` or `q` acts without Enter,
 * Ctrl-D ends cleanly, and the terminal is restored afterwards, even after
 * Ctrl-C.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { PtySession, serverArgs } from "../helpers/client_process.ts";
import { type MailServers, withMailServers } from "../helpers/mail_servers.ts";
import { SEED_MAIL, SmtpClient } from "../helpers/smtp_client.ts";

const PASSWORD = "@dministr@tor";
/** Shell commands run after the client in the same terminal: its exit status, then the terminal's settings. */
const AFTER = '; echo "exit=$?"; stty -a';

async function deliverSeed(servers: MailServers): Promise<void> {
  const smtp = await SmtpClient.open(servers.smtp.port);
  try {
    await smtp.send({ from: "stallings@localhost", to: ["andrew@localhost"], data: SEED_MAIL });
    await smtp.quit();
  } finally {
    await smtp.close();
  }
}

/** Starts the client in a terminal (the shell ignores Ctrl-C, so it goes on to AFTER) and logs in as Andrew. */
async function loggedIn(servers: MailServers): Promise<{ pty: PtySession; at: number }> {
  const line = PtySession.clientLine(serverArgs(servers.smtp.port, servers.pop3.port), AFTER);
  const pty = await PtySession.start(`trap true INT; ${line}`);
  let at = await pty.waitFor(/Username: $/);
  await pty.type("Andrew\r");
  at = await pty.waitFor(/Password: $/, at);
  await pty.type(`${PASSWORD}\r`);
  at = await pty.waitFor(/Logged in as Andrew\.\n[^]*Enter your choice \(1-3\): $/, at);
  return { pty, at };
}

/** Asserts the client's exit status and that the terminal is back in line mode with echo. */
async function assertRestored(pty: PtySession, exit: number): Promise<void> {
  const status = await pty.finish();
  assert.equal(status.code, 0, pty.screen);
  assert.match(pty.screen, new RegExp(`\\nexit=${exit}\\n`));
  const settings = pty.screen.slice(pty.screen.lastIndexOf("exit="));
  assert.match(settings, /(^|\s)icanon(\s|$)/, "line mode restored");
  assert.match(settings, /(^|\s)echo(\s|$)/, "echo restored");
}

Deno.test("mailclient in a terminal hides the password and acts on a lone d and q", async () => {
  await withMailServers(async (servers) => {
    await deliverSeed(servers);
    await deliverSeed(servers);
    let { pty, at } = await loggedIn(servers);
    assert.ok(!pty.screen.includes(PASSWORD), `password echoed:\n${pty.screen}`);
    assert.match(pty.screen, /Username: Andrew\nPassword: \nLogged in as Andrew\./);

    await pty.type("1\r");
    at = await pty.waitFor(/or q to quit: $/, at);
    await pty.type("1\r");
    at = await pty.waitFor(/any other key to see the list again: $/, at);
    await pty.type("d");
    at = await pty.waitFor(/^d\nMail 1 deleted .*\n\nSl\. No\.[^]*or q to quit: $/, at);
    await pty.type("1\r");
    at = await pty.waitFor(/any other key to see the list again: $/, at);
    await pty.type("x");
    at = await pty.waitFor(/^x\n\nSl\. No\.[^]*or q to quit: $/, at);
    await pty.type("1\r");
    at = await pty.waitFor(/any other key to see the list again: $/, at);
    await pty.type("q");
    at = await pty.waitFor(/^q\n\+OK .* signing off \(1 message left\)\n\nOptions:[^]*\(1-3\): $/, at);
    await pty.type("3\r");
    await pty.waitFor(/Goodbye\.\n/, at);
    await assertRestored(pty, 0);
    const mailbox = await Deno.readTextFile(join(servers.root, "Andrew", "mymailbox"));
    assert.equal(mailbox.match(/^Subject: /gm)?.length, 1);
  });
});

Deno.test("mailclient in a terminal ends cleanly on Ctrl-D at the key prompt", async () => {
  await withMailServers(async (servers) => {
    await deliverSeed(servers);
    let { pty, at } = await loggedIn(servers);
    await pty.type("1\r");
    at = await pty.waitFor(/or q to quit: $/, at);
    await pty.type("1\r");
    at = await pty.waitFor(/any other key to see the list again: $/, at);
    await pty.type("\x04");
    await pty.waitFor(/\+OK .* signing off \(1 message left\)\n\nEnd of input: goodbye\.\n/, at);
    await assertRestored(pty, 0);
  });
});

Deno.test("mailclient in a terminal restores the terminal on Ctrl-C at the key prompt and at the password", async (t) => {
  await withMailServers(async (servers) => {
    await deliverSeed(servers);
    await t.step("key prompt", async () => {
      let { pty, at } = await loggedIn(servers);
      await pty.type("1\r");
      at = await pty.waitFor(/or q to quit: $/, at);
      await pty.type("1\r");
      at = await pty.waitFor(/any other key to see the list again: $/, at);
      await pty.type("\x03");
      await assertRestored(pty, 130);
    });
    await t.step("password prompt", async () => {
      const line = PtySession.clientLine(serverArgs(servers.smtp.port, servers.pop3.port), AFTER);
      const pty = await PtySession.start(`trap true INT; ${line}`);
      const at = await pty.waitFor(/Username: $/);
      await pty.type("Andrew\r");
      await pty.waitFor(/Password: $/, at);
      await pty.type("secr\x03");
      await assertRestored(pty, 130);
      assert.ok(!pty.screen.includes("secr"));
    });
  });
});

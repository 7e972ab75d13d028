/**
 * The client in a pseudo-terminal (util-linux `script`), as a person uses
 * it: the password is not echoed, a lone `d` or `q` acts without Enter,
 * keys typed ahead are kept, single keys work again after a stop and `fg`,
 * Ctrl-D ends cleanly, and the terminal is restored afterwards, even after
 * Ctrl-C.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { clientPid, PtySession, serverArgs } from "../helpers/client_process.ts";
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

/** Logs in as Andrew and opens mail 1: the client then waits for a single key. */
async function readingFirstMail(servers: MailServers): Promise<{ pty: PtySession; at: number }> {
  let { pty, at } = await loggedIn(servers);
  await pty.type("1\r");
  at = await pty.waitFor(/or q to quit: $/, at);
  await pty.type("1\r");
  at = await pty.waitFor(/any other key to see the list again: $/, at);
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
    const { pty, at } = await readingFirstMail(servers);
    await pty.type("\x04");
    await pty.waitFor(/\+OK .* signing off \(1 message left\)\n\nEnd of input: goodbye\.\n/, at);
    await assertRestored(pty, 0);
  });
});

Deno.test("mailclient in a terminal restores the terminal on Ctrl-C at the key prompt and at the password", async (t) => {
  await withMailServers(async (servers) => {
    await deliverSeed(servers);
    await t.step("key prompt", async () => {
      const { pty } = await readingFirstMail(servers);
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

/** The pid of the client process talking to these servers. */
function serversClientPid(servers: MailServers): Promise<number> {
  return clientPid(serverArgs(servers.smtp.port, servers.pop3.port));
}

/** Runs `stty` with `args` on the terminal that process `pid` reads from; resolves to its output. */
async function stty(pid: number, ...args: string[]): Promise<string> {
  const tty = await Deno.readLink(`/proc/${pid}/fd/0`);
  const command = new Deno.Command("stty", { args: ["-F", tty, ...args], stdout: "piped", stderr: "piped" });
  const { code, stdout, stderr } = await command.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout);
}

Deno.test("mailclient in a terminal keeps what is typed after a key, and single keys after a stop and fg", async () => {
  await withMailServers(async (servers) => {
    await deliverSeed(servers);
    let { pty, at } = await readingFirstMail(servers);
    await pty.type("x1\r");
    at = await pty.waitFor(/^x\n\nSl\. No\.[^]*or q to quit: \n[^]*any other key to see the list again: $/, at);
    // An arrow key is one key too, and what follows it is kept.
    await pty.type("\x1b[A1\r");
    at = await pty.waitFor(/^\n\nSl\. No\.[^]*or q to quit: \n[^]*any other key to see the list again: $/, at);

    // Ctrl-Z and fg: the shell puts the terminal back in line mode with echo
    // while the client is stopped; SIGCONT must bring single keys back.
    const pid = await serversClientPid(servers);
    Deno.kill(pid, "SIGSTOP");
    await stty(pid, "icanon", "echo");
    Deno.kill(pid, "SIGCONT");
    const deadline = Date.now() + 15_000;
    while (/(^|\s)icanon(\s|$)/.test(await stty(pid, "-a"))) {
      assert.ok(Date.now() < deadline, "cbreak mode not restored after SIGCONT");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await pty.type("q");
    at = await pty.waitFor(/^q\n\+OK .* signing off \(1 message left\)\n\nOptions:[^]*\(1-3\): $/, at);
    await pty.type("3\r");
    await pty.waitFor(/Goodbye\.\n/, at);
    await assertRestored(pty, 0);
  });
});

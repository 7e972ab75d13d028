/**
 * Failed logins over real sockets: a hashed password in userlogincred.txt,
 * the lockout of the client address and user after --lockout-after failures
 * on POP3 and SMTP AUTH alike, its end after --lockout seconds, and the log.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { hashPassword } from "../../lib/auth/password_hash.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { startPop3 } from "../helpers/pop3_server.ts";
import { makeTempRoot, type ServerProcess, sleep, waitFor } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { startSmtp } from "../helpers/smtp_server.ts";

const PASSWORD = "@dministr@tor";
/** Three failures lock for one second; a session alone would allow ten. */
const FLAGS = ["--failed-login-delay", "1", "--lockout-after", "3", "--lockout", "1", "--max-failed-logins", "10"];

/** A fresh root where Andrew's password is hashed; runs `fn` against `start`'s server on it. */
async function withHashedRoot(
  start: (root: Awaited<ReturnType<typeof makeTempRoot>>) => Promise<ServerProcess>,
  fn: (server: ServerProcess) => Promise<void>,
): Promise<void> {
  const temp = await makeTempRoot(`Stallings network$security\nAndrew ${await hashPassword(PASSWORD)}\n`);
  try {
    const server = await start(temp);
    try {
      await fn(server);
    } finally {
      await server.stop();
    }
  } finally {
    await temp.remove();
  }
}

/** Retries `attempt` every 100 ms until it returns true (the lock is over). */
async function untilUnlocked(attempt: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (await attempt()) return;
    await sleep(100);
  }
  assert.fail("still locked after 5 s");
}

async function pop3Login(port: number, password: string): Promise<string> {
  const client = await Pop3Client.open(port);
  try {
    await client.command("USER andrew", "+OK");
    const reply = await client.command(`PASS ${password}`);
    if (reply.startsWith("+OK")) await client.quit();
    return reply;
  } finally {
    await client.close();
  }
}

Deno.test("popserver locks out an address after --lockout-after failures, for --lockout seconds", async () => {
  await withHashedRoot((temp) => startPop3(temp, FLAGS), async (pop3) => {
    assert.match(await pop3Login(pop3.port, PASSWORD), /^\+OK Andrew's maildrop has 0 messages/, "a hashed password");
    const client = await Pop3Client.open(pop3.port);
    try {
      for (const guess of ["a", "b", "c"]) {
        await client.command("USER Andrew", "+OK");
        assert.match(await client.command(`PASS ${guess}`), /^-ERR \[AUTH\] /);
      }
      await client.command("USER Andrew", "+OK");
      assert.equal(await client.command(`PASS ${PASSWORD}`), "-ERR [SYS/TEMP] Too many failed logins, try again later");
    } finally {
      await client.close();
    }
    assert.match(await pop3Login(pop3.port, PASSWORD), /^-ERR \[SYS\/TEMP\] Too many failed logins/, "a new session");
    await untilUnlocked(async () => (await pop3Login(pop3.port, PASSWORD)).startsWith("+OK"));
    await waitFor("the log", () => / pop3 login refused /.test(pop3.stderrText()));
    const log = pop3.stderrText();
    assert.match(log, / pop3 login failed client=127\.0\.0\.1 user="Andrew" failures=3 .*locked=address,user\n/);
    assert.match(log, / pop3 login refused client=127\.0\.0\.1 user="Andrew" locked_until=\S+\n/);
    assert.doesNotMatch(log, /dministr/, "no password in the log");
  });
});

Deno.test("smtpmail locks out AUTH after --lockout-after failures with 454 4.7.0", async () => {
  await withHashedRoot((temp) => startSmtp({ root: temp, flags: FLAGS }), async (smtp) => {
    const plain = (password: string) => Buffer.from(`\0Andrew\0${password}`).toString("base64");
    const client = await SmtpClient.open(smtp.port);
    try {
      for (const guess of ["a", "b", "c"]) {
        assert.match((await client.command(`AUTH PLAIN ${plain(guess)}`)).last, /^535 5\.7\.8 /);
      }
      assert.match((await client.command(`AUTH PLAIN ${plain(PASSWORD)}`)).last, /^454 4\.7\.0 /);
    } finally {
      await client.close();
    }
    await untilUnlocked(async () => {
      const again = await SmtpClient.open(smtp.port);
      try {
        return (await again.command(`AUTH PLAIN ${plain(PASSWORD)}`)).code === 235;
      } finally {
        await again.close();
      }
    });
    assert.match(
      smtp.stderrText(),
      / smtp login failed client=127\.0\.0\.1 user="Andrew" failures=3 .*locked=address,user\n/,
    );
  });
});

/**
 * Failed logins over real sockets, on POP3 and SMTP AUTH alike: a hashed
 * password in userlogincred.txt; an address blocked for one user after
 * --lockout-after failures, for --lockout seconds, while it still logs in
 * as others; one address failing for a user, over 8 parallel connections,
 * never locks that user out from another address (127.0.0.2 against
 * 127.0.0.1); and the log.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { hashPassword } from "../../lib/auth/password_hash.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { startPop3 } from "../helpers/pop3_server.ts";
import { makeTempRoot, type ServerProcess, sleep, waitFor } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { startSmtp } from "../helpers/smtp_server.ts";
import { SourceClient } from "../helpers/source_client.ts";

const PASSWORD = "@dministr@tor";
/** Three failures block for one second; a session alone would allow ten. */
const FLAGS = ["--failed-login-delay", "1", "--lockout-after", "3", "--lockout", "1", "--max-failed-logins", "10"];
const BLOCKED = "-ERR [SYS/TEMP] Too many failed logins, try again later";

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

/** Retries `attempt` every 100 ms until it returns true (the block is over). */
async function untilUnblocked(attempt: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (await attempt()) return;
    await sleep(100);
  }
  assert.fail("still blocked after 5 s");
}

/** One POP3 login from `localAddress`: the reply to PASS (after QUIT when it succeeded). */
async function pop3Login(port: number, user: string, password: string, localAddress = "127.0.0.1"): Promise<string> {
  const client = await SourceClient.connect(port, localAddress);
  try {
    assert.match((await client.line())!, /^\+OK /);
    await client.write(`USER ${user}\r\n`);
    assert.match((await client.line())!, /^\+OK /);
    await client.write(`PASS ${password}\r\n`);
    const reply = (await client.line(30_000)) ?? "(closed)";
    if (reply.startsWith("+OK")) await client.write("QUIT\r\n");
    return reply;
  } finally {
    await client.destroy();
  }
}

const plain = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`).toString("base64");

/** Says EHLO and reads the whole reply. */
async function ehlo(client: SourceClient): Promise<void> {
  await client.write("EHLO guess.test\r\n");
  for (let line = await client.line(); line !== null && !line.startsWith("250 "); line = await client.line()) {
    assert.match(line, /^250-/);
  }
}

/** One SMTP AUTH PLAIN from `localAddress`: the reply line. */
async function smtpLogin(port: number, user: string, password: string, localAddress = "127.0.0.1"): Promise<string> {
  const client = await SourceClient.connect(port, localAddress);
  try {
    assert.match((await client.line())!, /^220 /);
    await ehlo(client);
    await client.write(`AUTH PLAIN ${plain(user, password)}\r\n`);
    return (await client.line(30_000)) ?? "(closed)";
  } finally {
    await client.destroy();
  }
}

Deno.test("popserver blocks an address for a user after --lockout-after failures, for --lockout seconds", async () => {
  await withHashedRoot((temp) => startPop3(temp, FLAGS), async (pop3) => {
    assert.match(await pop3Login(pop3.port, "Andrew", PASSWORD), /^\+OK Andrew's maildrop has 0 messages/);
    const client = await Pop3Client.open(pop3.port);
    try {
      for (const guess of ["a", "b", "c"]) {
        await client.command("USER Andrew", "+OK");
        assert.match(await client.command(`PASS ${guess}`), /^-ERR \[AUTH\] /);
      }
      await client.command("USER Andrew", "+OK");
      assert.equal(await client.command(`PASS ${PASSWORD}`), BLOCKED);
    } finally {
      await client.close();
    }
    assert.equal(await pop3Login(pop3.port, "Andrew", PASSWORD), BLOCKED, "a new session");
    assert.match(await pop3Login(pop3.port, "Stallings", "network$security"), /^\+OK /, "another user");
    assert.match(await pop3Login(pop3.port, "Andrew", PASSWORD, "127.0.0.2"), /^\+OK /, "another address");
    await untilUnblocked(async () => (await pop3Login(pop3.port, "Andrew", PASSWORD)).startsWith("+OK"));
    await waitFor("the log", () => / pop3 login refused /.test(pop3.stderrText()));
    const log = pop3.stderrText();
    assert.match(log, / pop3 login failed client=127\.0\.0\.1 user="Andrew" failures=3 .* blocked=address-for-user\n/);
    assert.match(log, / pop3 login refused client=127\.0\.0\.1 user="Andrew" reason=blocked until=\S+\n/);
    assert.doesNotMatch(log, /dministr/, "no password in the log");
  });
});

Deno.test("smtpmail blocks AUTH from an address for a user after --lockout-after failures with 454 4.7.0", async () => {
  await withHashedRoot((temp) => startSmtp({ root: temp, flags: FLAGS }), async (smtp) => {
    const client = await SmtpClient.open(smtp.port);
    try {
      for (const guess of ["a", "b", "c"]) {
        assert.match((await client.command(`AUTH PLAIN ${plain("Andrew", guess)}`)).last, /^535 5\.7\.8 /);
      }
      assert.match((await client.command(`AUTH PLAIN ${plain("Andrew", PASSWORD)}`)).last, /^454 4\.7\.0 /);
    } finally {
      await client.close();
    }
    assert.match(await smtpLogin(smtp.port, "Andrew", PASSWORD, "127.0.0.2"), /^235 /, "another address");
    assert.match(await smtpLogin(smtp.port, "Stallings", "network$security"), /^235 /, "another user");
    await untilUnblocked(async () => (await smtpLogin(smtp.port, "Andrew", PASSWORD)).startsWith("235 "));
    assert.match(
      smtp.stderrText(),
      / smtp login failed client=127\.0\.0\.1 user="Andrew" failures=3 .* blocked=address-for-user\n/,
    );
  });
});

/**
 * Sends wrong passwords for `user` over `connections` parallel connections
 * from `localAddress` until `ms` have passed, reconnecting whenever the
 * server closes one.
 *
 * @returns the answers: checked and refused ([AUTH] / 535), and refused unchecked ([SYS/TEMP] / 454)
 */
async function guessFor(
  attempt: (client: SourceClient, n: number) => Promise<string | null>,
  greeting: RegExp,
  options: { port: number; localAddress: string; connections: number; ms: number },
): Promise<string[]> {
  const stopAt = Date.now() + options.ms;
  const answers: string[] = [];
  let n = 0;
  // At the end, sessions still waiting for an answer are dropped.
  const open = new Set<SourceClient>();
  const timer = setTimeout(() => open.forEach((client) => client.destroy()), options.ms);
  const worker = async () => {
    while (Date.now() < stopAt) {
      const client = await SourceClient.connect(options.port, options.localAddress);
      open.add(client);
      try {
        assert.match((await client.line())!, greeting);
        while (Date.now() < stopAt) {
          const answer = await attempt(client, n++).catch(() => null);
          if (answer === null) break;
          if (Date.now() < stopAt) answers.push(answer);
        }
      } finally {
        open.delete(client);
        await client.destroy();
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker)).finally(() => clearTimeout(timer));
  return answers;
}

/** One USER/PASS with a wrong password; null when the session ended. */
function pop3Guess(user: (n: number) => string) {
  return async (client: SourceClient, n: number): Promise<string | null> => {
    await client.write(`USER ${user(n)}\r\nPASS wrong${n}\r\n`);
    if ((await client.line(30_000)) === null) return null;
    return await client.line(30_000);
  };
}

/** One AUTH PLAIN with a wrong password (after EHLO, the first time); null when the session ended. */
function smtpGuess(user: (n: number) => string) {
  const greeted = new WeakSet<SourceClient>();
  return async (client: SourceClient, n: number): Promise<string | null> => {
    if (!greeted.has(client)) await ehlo(client);
    greeted.add(client);
    await client.write(`AUTH PLAIN ${plain(user(n), `wrong${n}`)}\r\n`);
    const line = await client.line(30_000);
    return line === null || line.startsWith("421 ") ? null : line;
  };
}

Deno.test("popserver answers at most about one try a second from an address over 8 parallel connections", async () => {
  await withHashedRoot((temp) => startPop3(temp, ["--failed-login-delay", "1000"]), async (pop3) => {
    const seconds = 12;
    const answers = await guessFor(pop3Guess((n) => `guess${n}`), /^\+OK /, {
      port: pop3.port,
      localAddress: "127.0.0.2",
      connections: 8,
      ms: seconds * 1000,
    });
    const checked = answers.filter((a) => a.startsWith("-ERR [AUTH]")).length;
    const refused = answers.filter((a) => a.startsWith("-ERR [SYS/TEMP]")).length;
    console.log(`popserver: ${checked} wrong passwords checked, ${refused} refused unchecked, in ${seconds} s`);
    assert.ok(checked >= 3, `only ${checked} checked`);
    // Three free tries, then at most one a second (fewer, as the gap doubles); was about 200.
    assert.ok(checked <= 3 + seconds + 2, `${checked} checked in ${seconds} s`);
  });
});

for (
  const server of [
    {
      name: "popserver",
      start: (temp: Awaited<ReturnType<typeof makeTempRoot>>, flags: string[]) => startPop3(temp, flags),
    },
    {
      name: "smtpmail",
      start: (temp: Awaited<ReturnType<typeof makeTempRoot>>, flags: string[]) => startSmtp({ root: temp, flags }),
    },
  ]
) {
  Deno.test(`${server.name}: failures from 127.0.0.2 never lock Andrew out for 127.0.0.1`, async () => {
    const flags = ["--failed-login-delay", "1000", "--lockout-after", "5"];
    await withHashedRoot((temp) => server.start(temp, flags), async (process) => {
      const pop3 = server.name === "popserver";
      const seconds = pop3 ? 12 : 6;
      const guess = pop3 ? pop3Guess(() => "Andrew") : smtpGuess(() => "Andrew");
      const attack = guessFor(guess, pop3 ? /^\+OK / : /^220 /, {
        port: process.port,
        localAddress: "127.0.0.2",
        connections: 8,
        ms: seconds * 1000,
      });
      await sleep(seconds * 1000 - 1000);
      const login = pop3 ? pop3Login : smtpLogin;
      const started = Date.now();
      const legitimate = await login(process.port, "Andrew", PASSWORD, "127.0.0.1");
      const tookMs = Date.now() - started;
      const answers = await attack;
      const blockedAttacker = await login(process.port, "Andrew", PASSWORD, "127.0.0.2");
      const otherUser = await login(process.port, "Stallings", "network$security", "127.0.0.2");
      const checked = answers.filter((a) => /^(-ERR \[AUTH\]|535 )/.test(a)).length;
      console.log(
        `${server.name}: 127.0.0.2 had ${checked} passwords checked, ${answers.length - checked} refused unchecked ` +
          `in ${seconds} s; 127.0.0.1 logged in after ` +
          `${tookMs} ms: ${legitimate}; 127.0.0.2 as Andrew: ${blockedAttacker}; as Stallings: ${otherUser}`,
      );
      assert.match(legitimate, pop3 ? /^\+OK / : /^235 /, "the right password from another address");
      assert.match(blockedAttacker, pop3 ? /^-ERR \[SYS\/TEMP\] Too many failed logins/ : /^454 4\.7\.0 /);
      assert.match(otherUser, pop3 ? /^\+OK / : /^235 /, "the blocked address, as another user");
    });
  });
}

/**
 * Limits against floods and slow clients, over real sockets: the caps on
 * connections from one address and in all (both ports together), the deadline for a line that trickles in
 * (slowloris), the minimum rate of DATA, and POP3's cap on errors.
 */

import assert from "node:assert/strict";
import { LineClient } from "../helpers/line_client.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { startPop3 } from "../helpers/pop3_server.ts";
import { makeTempRoot, type ServerProcess, sleep } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { startSmtp, withSmtp } from "../helpers/smtp_server.ts";
import { implicitTlsPort, tlsFlags, withTestCert } from "../helpers/tls.ts";

async function withPop3(flags: string[], fn: (server: ServerProcess) => Promise<void>): Promise<void> {
  const temp = await makeTempRoot();
  try {
    const server = await startPop3(temp, flags);
    try {
      await fn(server);
    } finally {
      await server.stop();
    }
  } finally {
    await temp.remove();
  }
}

/**
 * Opens connections until `refused` matches a first line; asserts that
 * happens at connection `cap + 1` and that a closed one frees its place.
 */
async function assertCap(port: number, cap: number, greeting: RegExp, refused: RegExp): Promise<void> {
  const open: LineClient[] = [];
  try {
    for (let i = 0; i < cap; i++) {
      open.push(await LineClient.connect(port));
      assert.match((await open[i].readLine())!, greeting);
    }
    const extra = await LineClient.connect(port);
    try {
      assert.match((await extra.readLine())!, refused);
      assert.equal(await extra.readToEnd(), "");
    } finally {
      await extra.close();
    }
    await open.shift()!.close();
    for (let i = 0; i < 50; i++) {
      const again = await LineClient.connect(port);
      const first = await again.readLine();
      await again.close();
      if (greeting.test(first ?? "")) return;
      await sleep(50);
    }
    assert.fail("a closed connection did not free its place");
  } finally {
    for (const client of open) await client.close();
  }
}

/** Sends ASCII `text` one octet every `everyMs` until `stop` settles or the connection breaks. */
async function trickle(client: LineClient, text: string, everyMs: number, stop: Promise<unknown>): Promise<void> {
  let stopped = false;
  stop.finally(() => stopped = true);
  for (const byte of text) {
    if (stopped) return;
    const sent = await client.write(byte).then(() => true, () => false);
    if (!sent) return;
    await sleep(everyMs);
  }
}

Deno.test("smtpmail refuses connections past --max-connections-per-address with 421 4.7.0", async () => {
  await withSmtp(["--max-connections-per-address", "2"], async (smtp) => {
    await assertCap(smtp.port, 2, /^220 /, /^421 4\.7\.0 \S+ Too many connections from your address, try again later$/);
    assert.match(smtp.stderrText(), / smtp refused client=127\.0\.0\.1 reason=address\n/);
  });
});

Deno.test("popserver refuses connections past --max-connections-per-address with -ERR [SYS/TEMP]", async () => {
  await withPop3(["--max-connections-per-address", "3"], async (pop3) => {
    await assertCap(
      pop3.port,
      3,
      /^\+OK /,
      /^-ERR \[SYS\/TEMP\] Too many connections from your address, try again later$/,
    );
  });
});

Deno.test("popserver counts its plain and implicit-TLS connections against one --max-connections", async () => {
  await withTestCert(async (cert) => {
    await withPop3([...tlsFlags(cert, true), "--max-connections", "2"], async (pop3) => {
      const tlsPort = implicitTlsPort(pop3);
      const plain = [await LineClient.connect(pop3.port), await LineClient.connect(pop3.port)];
      try {
        for (const client of plain) assert.match((await client.readLine())!, /^\+OK /);
        const refused = await Deno.connectTls({ hostname: "127.0.0.1", port: tlsPort, caCerts: [cert.pem] });
        try {
          await assert.rejects(refused.handshake(), "the third connection, over TLS, is turned away");
        } finally {
          refused.close();
        }
        await plain.shift()!.close();
        for (let i = 0; i < 50; i++) {
          const secure = await Deno.connectTls({ hostname: "127.0.0.1", port: tlsPort, caCerts: [cert.pem] });
          try {
            const got = await secure.handshake().then(async () => {
              const buf = new Uint8Array(512);
              const n = await secure.read(buf);
              return n === null ? "" : new TextDecoder().decode(buf.subarray(0, n));
            }, () => "");
            if (got.startsWith("+OK ")) return;
          } finally {
            secure.close();
          }
          await sleep(50);
        }
        assert.fail("a closed plain connection did not free a place for TLS");
      } finally {
        for (const client of plain) await client.close();
      }
    });
  });
});

Deno.test("smtpmail closes a command line that trickles in past --line-timeout, idle timeout or not", async () => {
  await withSmtp(["--line-timeout", "1", "--idle-timeout", "60"], async (smtp) => {
    const client = await LineClient.connect(smtp.port);
    try {
      assert.match((await client.readLine())!, /^220 /);
      const started = Date.now();
      const closing = client.readLine(5000);
      await Promise.all([trickle(client, "EHLO slow.example.com\r\n", 200, closing), closing]);
      assert.match((await closing)!, /^421 4\.4\.2 \S+ Idle timeout, closing connection$/);
      assert.equal(await client.readToEnd(), "");
      assert.ok(Date.now() - started >= 900, `closed after ${Date.now() - started} ms`);
    } finally {
      await client.close();
    }
  });
});

Deno.test("popserver closes a command line that trickles in past --line-timeout", async () => {
  await withPop3(["--line-timeout", "1"], async (pop3) => {
    const client = await LineClient.connect(pop3.port);
    try {
      assert.match((await client.readLine())!, /^\+OK /);
      const closed = client.readToEnd(5000);
      await Promise.all([trickle(client, "USER Andrew\r\n", 200, closed), closed]);
      assert.equal(await closed, "", "closed without a reply, as on the autologout timer (RFC 1939 §3)");
    } finally {
      await client.close();
    }
  });
});

Deno.test("smtpmail ends DATA that stays under --min-data-rate, and takes DATA that keeps up", async () => {
  const temp = await makeTempRoot();
  const smtp = await startSmtp({ root: temp, flags: ["--line-timeout", "1", "--min-data-rate", "1000"] });
  try {
    const fast = await SmtpClient.open(smtp.port);
    const body = "Subject: fast\r\n\r\n" + "0123456789".repeat(50) + "\r\n";
    assert.equal((await fast.send({ from: "stallings@localhost", to: ["andrew@localhost"], data: body })).code, 250);
    await fast.quit();
    const slow = await SmtpClient.open(smtp.port);
    try {
      await slow.command("MAIL FROM:<stallings@localhost>", 250);
      await slow.command("RCPT TO:<fourouzan@localhost>", 250);
      await slow.command("DATA", 354);
      const closing = slow.conn.readLine(5000);
      // Whole lines every 100 ms, so only the rate can end it: about 30 octets/s.
      await Promise.all([trickle(slow.conn, "x\r\n".repeat(100), 33, closing), closing]);
      assert.match((await closing)!, /^421 4\.4\.2 /);
    } finally {
      await slow.close();
    }
  } finally {
    await smtp.stop();
    await temp.remove();
  }
  const stored = await Deno.readTextFile(`${temp.root}/Fourouzan/mymailbox`).catch(() => "");
  assert.equal(stored, "", "nothing of the slow message is stored");
});

Deno.test("popserver closes a session after --max-errors error replies", async () => {
  await withPop3(["--max-errors", "3"], async (pop3) => {
    const client = await Pop3Client.open(pop3.port);
    try {
      assert.match(await client.command("BOGUS"), /^-ERR /);
      assert.match(await client.command("STAT"), /^-ERR /);
      assert.match(await client.command("PASS x"), /^-ERR /);
      assert.equal(await client.line(), "-ERR Too many errors, closing connection");
      assert.equal(await client.readToEnd(), "");
    } finally {
      await client.close();
    }
  });
});

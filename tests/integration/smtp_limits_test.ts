/**
 * smtpmail's session limits over real sockets: the idle timeout (with the
 * log line of a message it cuts short) and the cap on concurrent connections.
 */

import assert from "node:assert/strict";
import { readRecords } from "../helpers/mailbox_file.ts";
import { sleep, waitFor } from "../helpers/server_process.ts";
import { SmtpClient, stuff } from "../helpers/smtp_client.ts";
import { withSmtp } from "../helpers/smtp_server.ts";

Deno.test("smtpmail closes an idle session with 421 4.4.2 after --idle-timeout", async () => {
  await withSmtp(["--idle-timeout", "1"], async (server) => {
    const idle = await SmtpClient.connect(server.port);
    const busy = await SmtpClient.open(server.port);
    try {
      await idle.expect(220);
      const started = Date.now();
      const timedOut = idle.reply(5000).then((r) => ({ r, waited: Date.now() - started }));
      timedOut.catch(() => {}); // awaited below; keeps an early failure from being unhandled
      // Activity keeps a session open past the timeout.
      for (let i = 0; i < 8; i++) {
        await sleep(250);
        await busy.command("NOOP", 250);
      }
      const { r, waited } = await timedOut;
      assert.match(r.last, /^421 4\.4\.2 /);
      assert.ok(waited >= 900 && waited < 3000, `timed out after ${waited} ms`);
      assert.equal(await idle.conn.readToEnd(2000), "", "closed after the 421");
      // A session waiting in the middle of DATA times out too, and nothing is stored.
      await busy.command("MAIL FROM:<stallings@localhost>", 250);
      await busy.command("RCPT TO:<andrew@localhost>", 250);
      await busy.command("DATA", 354);
      await busy.write("Subject: never finished\r\n\r\nhalf");
      assert.match((await busy.reply(5000)).last, /^421 4\.4\.2 /);
      assert.equal(await busy.conn.readToEnd(2000), "");
      assert.equal((await readRecords(server.root, "Andrew")).records.length, 0);
      // The message cut short has its log line.
      await waitFor("the log line", () => server.stderrText().includes("outcome=aborted"));
      assert.match(
        server.stderrText(),
        / smtp id=- client=127\.0\.0\.1 from=<stallings@localhost> to=<andrew@localhost> size=27 outcome=aborted: idle timeout\n/,
      );
    } finally {
      await idle.close();
      await busy.close();
    }
  });
});

Deno.test("smtpmail refuses a connection over --max-connections with 421 and closes it", async () => {
  await withSmtp(["--max-connections", "2"], async (server) => {
    const clients: SmtpClient[] = [];
    try {
      clients.push(await SmtpClient.open(server.port), await SmtpClient.open(server.port));
      const third = await SmtpClient.connect(server.port);
      clients.push(third);
      assert.match((await third.reply()).last, /^421 4\.3\.2 /);
      assert.equal(await third.conn.readToEnd(2000), "", "closed after the 421");
      // The two admitted sessions still work.
      for (const c of clients.slice(0, 2)) await c.command("NOOP", 250);
      // Once one of them leaves, a new connection is served again.
      await clients[0].quit();
      let fourth: SmtpClient | undefined;
      for (let attempt = 0; attempt < 50 && fourth === undefined; attempt++) {
        const c = await SmtpClient.connect(server.port);
        clients.push(c);
        const r = await c.reply();
        if (r.code === 220) fourth = c;
        else await sleep(20);
      }
      assert.ok(fourth, "a slot came free");
      await fourth.command("EHLO again.test", 250);
      await fourth.command("MAIL FROM:<stallings@localhost>", 250);
      await fourth.command("RCPT TO:<andrew@localhost>", 250);
      await fourth.command("DATA", 354);
      await fourth.write(stuff("Subject: after the cap\r\n\r\nok\r\n"));
      await fourth.expect(250);
      await fourth.quit();
      assert.equal((await readRecords(server.root, "Andrew")).records.length, 1);
    } finally {
      for (const c of clients) await c.close();
    }
  });
});

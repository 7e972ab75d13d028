/**
 * A 50 MB message through the PostgreSQL store: stored in chunks and sent
 * by RETR a chunk at a time, byte-exact, three times over: the POP3
 * front-end's peak memory grows by far less than what it sends.
 */

import assert from "node:assert/strict";
import { peer, peerTest } from "../helpers/peers.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { startPop3 } from "../helpers/pop3_server.ts";
import { startPostgres } from "../helpers/postgres.ts";
import { makeTempRoot, procMemory } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { startSmtp } from "../helpers/smtp_server.ts";

const LINE = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnop\r\n";
const MESSAGE = `Subject: large\r\n\r\n${LINE.repeat(Math.ceil(50 * 2 ** 20 / LINE.length))}`;
const RETRIEVALS = 3;

peerTest(
  peer("postgresql"),
  "A 50 MB message goes through PostgreSQL byte-exact, with bounded POP3 memory",
  async () => {
    const cluster = await startPostgres();
    const temp = await makeTempRoot();
    try {
      const smtp = await startSmtp({ root: temp, flags: ["--store", cluster.url, "--max-message-size", "60000000"] });
      try {
        const client = await SmtpClient.open(smtp.port);
        const reply = await client.send({ from: "x@example.org", to: ["andrew@localhost"], data: MESSAGE });
        assert.match(reply.last, /^250 /);
        await client.quit();
        await client.close();
      } finally {
        await smtp.stop();
      }
      const pop3 = await startPop3(temp, ["--store", cluster.url]);
      try {
        const before = await procMemory(pop3.process.pid, "VmHWM");
        const reader = await Pop3Client.login(pop3.port, "Andrew");
        let message: Uint8Array = new Uint8Array();
        for (let i = 0; i < RETRIEVALS; i++) ({ message } = await reader.retr(1));
        await reader.command("QUIT", "+OK");
        await reader.close();
        const grown = ((await procMemory(pop3.process.pid, "VmHWM")) - before) / 2 ** 20;
        const sent = RETRIEVALS * message.length / 2 ** 20;
        console.log(`POP3 peak RSS grew ${grown.toFixed(1)} MiB while sending ${sent.toFixed(0)} MiB`);
        const text = new TextDecoder().decode(message);
        assert.ok(text.startsWith("Received: "), text.slice(0, 100));
        assert.equal(text.slice(text.indexOf("Subject: large")), MESSAGE);
        // Each chunk is garbage once sent, collected when V8's external memory has grown by 64 MiB: the peak stays
        // below that, whatever the size.
        assert.ok(grown < 80, `POP3 peak RSS grew ${grown.toFixed(1)} MiB while sending ${sent.toFixed(0)} MiB`);
      } finally {
        await pop3.stop();
      }
    } finally {
      await temp.remove();
      await cluster.remove();
    }
  },
);

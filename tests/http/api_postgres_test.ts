/**
 * The JSON API over the PostgreSQL store: the same walk through every call
 * as over files, a deletion refused with 409 while a POP3 session on
 * another front-end holds the mailbox, and the long poll, with smtpmail
 * and two popservers (one serving HTTP) on one private cluster.
 *
 * @module
 */

import assert from "node:assert/strict";
import { peer, peerTest } from "../helpers/peers.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages, startPop3 } from "../helpers/pop3_server.ts";
import { startPostgres } from "../helpers/postgres.ts";
import { makeTempRoot, type ServerProcess } from "../helpers/server_process.ts";
import { startSmtp } from "../helpers/smtp_server.ts";
import { call, WEB_READY } from "../helpers/web_server.ts";
import { ANDREW, checkEveryCall, type List, PLAIN } from "./api_scenario.ts";

peerTest(
  peer("postgresql"),
  "API over PostgreSQL: every call, 409 during another front-end's POP3 session, wait",
  async () => {
    const cluster = await startPostgres();
    const temp = await makeTempRoot();
    const started: ServerProcess[] = [];
    try {
      const store = ["--store", cluster.url];
      const smtp = await startSmtp({ root: temp, flags: store });
      started.push(smtp);
      const web = await startPop3(temp, [...store, "--http", "0"]);
      started.push(web);
      const other = await startPop3(temp, store);
      started.push(other);
      const url = WEB_READY.exec(web.stdoutText())![1];

      await checkEveryCall(smtp.port, url);

      await sendMessages(smtp.port, [PLAIN]);
      const client = await Pop3Client.login(other.port, "Andrew");
      try {
        assert.equal((await call(url, "/api/v1/messages", { method: "DELETE", auth: ANDREW })).status, 409);
      } finally {
        await client.quit();
        await client.close();
      }
      const newest = ((await call(url, "/api/v1/messages?limit=1", { auth: ANDREW })).json as List).messages[0].id;
      const after = encodeURIComponent(newest);
      const waiting = call(url, `/api/v1/wait?to=andrew@localhost&timeout=60&after=${after}`, { auth: ANDREW });
      await sendMessages(smtp.port, [PLAIN.replace("Plain note", "Awaited")]);
      const answer = await waiting;
      assert.deepEqual([answer.status, (answer.json as { subject: string }).subject], [200, "Awaited"]);
      assert.equal(((await call(url, "/api/v1/messages", { auth: ANDREW })).json as List).total, 2);
    } finally {
      for (const server of started) await server.stop();
      await temp.remove();
      await cluster.remove();
    }
  },
);

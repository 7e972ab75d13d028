/**
 * The JSON API of `popserver.ts --http` over real HTTP, against real
 * smtpmail and popserver processes: every call, authentication and
 * isolation, the 409 while a POP3 session holds the mailbox, and the long
 * poll with a mail sent over SMTP while it waits. Every response is checked
 * against `docs/openapi.json` and for its security headers (`call`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { readRecords, unstuff } from "../helpers/mailbox_file.ts";
import { passwordOf, Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages } from "../helpers/pop3_server.ts";
import { call, withWebServers } from "../helpers/web_server.ts";

const ANDREW = { user: "Andrew", password: passwordOf("Andrew") };
const STALLINGS = { user: "Stallings", password: passwordOf("Stallings") };

/** A multipart mail with a text part, an HTML part and a small attachment. */
const RICH = [
  "From: Stallings <stallings@localhost>",
  "To: andrew@localhost",
  "Subject: Report attached",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="outer"',
  "",
  "--outer",
  'Content-Type: multipart/alternative; boundary="inner"',
  "",
  "--inner",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "See the report.",
  ".a line that began with a dot",
  "--inner",
  "Content-Type: text/html; charset=utf-8",
  "",
  "<p>See the <b>report</b>.</p>",
  "--inner--",
  "--outer",
  'Content-Type: application/pdf; name="report.pdf"',
  'Content-Disposition: attachment; filename="report.pdf"',
  "Content-Transfer-Encoding: base64",
  "",
  "JVBERi0xLjQKJcOkw7zDtsOfCg==",
  "--outer--",
  "",
].join("\r\n");

const PLAIN = "From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: Plain note\r\n\r\nJust text.\r\n";

interface Summary {
  id: string;
  from: string;
  to: string;
  subject: string;
  date: string;
  size: number;
}

interface List {
  total: number;
  messages: Summary[];
}

Deno.test("API: list, message, raw, attachment, query, tokens and deletion over HTTP", async () => {
  await withWebServers(async ({ smtp, url, temp }) => {
    await sendMessages(smtp.port, [RICH, PLAIN]);
    const list = (await call(url, "/api/v1/messages", { auth: ANDREW })).json as List;
    assert.equal(list.total, 2);
    assert.deepEqual(list.messages.map((m) => m.subject), ["Plain note", "Report attached"]);
    const [plain, rich] = list.messages;
    assert.equal(rich.from, "Stallings <stallings@localhost>");
    assert.equal(rich.to, "andrew@localhost");

    const detail = await call(url, `/api/v1/messages/${rich.id}`, { auth: ANDREW });
    assert.equal(detail.status, 200);
    const message = detail.json as Record<string, unknown>;
    assert.equal(message.subject, "Report attached");
    assert.equal(message.text, "See the report.\n.a line that began with a dot\n");
    assert.equal(message.html, "<p>See the <b>report</b>.</p>\n");
    assert.deepEqual(message.attachments, [{
      index: 0,
      filename: "report.pdf",
      contentType: "application/pdf",
      size: 19,
      disposition: "attachment",
      contentId: null,
    }]);

    // The source as stored: the mailbox's record unstuffed, our trace line included.
    const raw = await call(url, `/api/v1/messages/${rich.id}/raw`, { auth: ANDREW });
    const stored = unstuff((await readRecords(temp.root, "Andrew")).records[0]);
    assert.deepEqual(raw.bytes, stored);
    assert.equal(raw.headers.get("content-length"), String(rich.size));

    const pdf = await call(url, `/api/v1/messages/${rich.id}/attachments/0`, { auth: ANDREW });
    assert.equal(pdf.headers.get("content-type"), "application/pdf");
    assert.match(pdf.headers.get("content-disposition") ?? "", /^attachment; filename="report.pdf"/);
    assert.equal(pdf.text, "%PDF-1.4\n%äüöß\n");
    assert.equal((await call(url, `/api/v1/messages/${rich.id}/attachments/1`, { auth: ANDREW })).status, 404);

    const found = (await call(url, "/api/v1/messages?query=PLAIN%20note", { auth: ANDREW })).json as List;
    assert.deepEqual([found.total, found.messages[0].id], [1, plain.id]);
    const paged = (await call(url, "/api/v1/messages?start=1&limit=1", { auth: ANDREW })).json as List;
    assert.deepEqual([paged.total, paged.messages.map((m) => m.id)], [2, [rich.id]]);
    assert.equal((await call(url, "/api/v1/messages?limit=0", { auth: ANDREW })).status, 400);

    const login = await call(url, "/api/v1/login", { method: "POST", body: JSON.stringify(ANDREW) });
    const token = (login.json as { token: string }).token;
    assert.equal((await call(url, "/api/v1/messages", { auth: { token } })).status, 200);
    assert.equal((await call(url, "/api/v1/logout", { method: "POST", auth: { token } })).status, 204);
    assert.equal((await call(url, "/api/v1/messages", { auth: { token } })).status, 401);

    const one = await call(url, `/api/v1/messages/${plain.id}`, { method: "DELETE", auth: ANDREW });
    assert.deepEqual([one.status, one.json], [200, { deleted: 1 }]);
    assert.equal((await call(url, `/api/v1/messages/${plain.id}`, { auth: ANDREW })).status, 404);
    assert.equal((await call(url, `/api/v1/messages/${plain.id}`, { method: "DELETE", auth: ANDREW })).status, 404);
    const all = await call(url, "/api/v1/messages", { method: "DELETE", auth: ANDREW });
    assert.deepEqual([all.status, all.json], [200, { deleted: 1 }]);
    assert.equal(((await call(url, "/api/v1/messages", { auth: ANDREW })).json as List).total, 0);
    assert.deepEqual((await readRecords(temp.root, "Andrew")).records, []);
  });
});

Deno.test("API: 401 without valid credentials, 404 for another user's message", async () => {
  await withWebServers(async ({ smtp, url }) => {
    await sendMessages(smtp.port, [PLAIN], "stallings@localhost");
    const theirs = ((await call(url, "/api/v1/messages", { auth: STALLINGS })).json as List).messages[0].id;
    const paths = [
      ["GET", "/api/v1/messages"],
      ["DELETE", "/api/v1/messages"],
      ["GET", `/api/v1/messages/${theirs}`],
      ["DELETE", `/api/v1/messages/${theirs}`],
      ["GET", `/api/v1/messages/${theirs}/raw`],
      ["GET", `/api/v1/messages/${theirs}/attachments/0`],
      ["GET", "/api/v1/wait?to=andrew@localhost&timeout=0"],
      ["POST", "/api/v1/logout"],
    ];
    const wrong = [undefined, { ...ANDREW, password: "wrong" }, { token: "not-a-token" }, { cookie: "mail_session=x" }];
    for (const [method, path] of paths) {
      for (const auth of wrong) {
        const answer = await call(url, path, { method, auth });
        assert.equal(answer.status, 401, `${method} ${path} with ${JSON.stringify(auth)}`);
        assert.match(answer.headers.get("www-authenticate") ?? "", /^Basic realm="mail"/);
      }
    }
    for (const [method, path] of paths.slice(2, 6)) {
      assert.equal((await call(url, path, { method, auth: ANDREW })).status, 404, `${method} ${path} as Andrew`);
    }
    assert.equal(((await call(url, "/api/v1/messages", { auth: ANDREW })).json as List).total, 0);
    assert.equal(((await call(url, "/api/v1/messages", { auth: STALLINGS })).json as List).total, 1);
    const badLogin = await call(url, "/api/v1/login", { method: "POST", body: JSON.stringify(STALLINGS) + "x" });
    assert.equal(badLogin.status, 400);
  });
});

Deno.test("API: a deletion while a POP3 session holds the mailbox answers 409 and deletes nothing", async () => {
  await withWebServers(async ({ smtp, pop3, url }) => {
    await sendMessages(smtp.port, [PLAIN, PLAIN]);
    const [first] = ((await call(url, "/api/v1/messages", { auth: ANDREW })).json as List).messages;
    const client = await Pop3Client.login(pop3.port, "Andrew");
    try {
      for (const path of [`/api/v1/messages/${first.id}`, "/api/v1/messages"]) {
        const answer = await call(url, path, { method: "DELETE", auth: ANDREW });
        assert.equal(answer.status, 409);
        assert.match((answer.json as { error: string }).error, /POP3 session/);
      }
      // Reading goes on meanwhile.
      assert.equal((await call(url, `/api/v1/messages/${first.id}/raw`, { auth: ANDREW })).status, 200);
      await client.quit();
    } finally {
      await client.close();
    }
    const total = async () => ((await call(url, "/api/v1/messages", { auth: ANDREW })).json as List).total;
    assert.equal(await total(), 2);
    // The session's lock is let go just after its QUIT's reply.
    let answer = await call(url, `/api/v1/messages/${first.id}`, { method: "DELETE", auth: ANDREW });
    for (let tries = 0; answer.status === 409 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      answer = await call(url, `/api/v1/messages/${first.id}`, { method: "DELETE", auth: ANDREW });
    }
    assert.equal(answer.status, 200);
    assert.equal(await total(), 1);
  });
});

Deno.test("API: wait returns the mail sent over SMTP while it waits, and 204 when none comes", async () => {
  await withWebServers(async ({ smtp, url }) => {
    await sendMessages(smtp.port, [PLAIN]);
    const none = await call(url, "/api/v1/wait?to=andrew@localhost&timeout=1", { auth: ANDREW });
    assert.deepEqual([none.status, none.text], [204, ""]);
    const waiting = call(url, "/api/v1/wait?to=Andrew@localhost&timeout=60", { auth: ANDREW });
    // Another address first: it must not end the wait.
    await sendMessages(smtp.port, ["To: someone@localhost\r\nSubject: Not this\r\n\r\nx\r\n"]);
    await sendMessages(smtp.port, ["To: Andrew <andrew@localhost>\r\nSubject: This one\r\n\r\ny\r\n"]);
    const answer = await waiting;
    assert.equal(answer.status, 200);
    assert.equal((answer.json as Summary).subject, "This one");
    assert.equal((await call(url, "/api/v1/wait?timeout=1", { auth: ANDREW })).status, 400);
  });
});

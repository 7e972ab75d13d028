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
import { readRecords } from "../helpers/mailbox_file.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages } from "../helpers/pop3_server.ts";
import { call, withWebServers } from "../helpers/web_server.ts";
import { ANDREW, checkEveryCall, type List, PLAIN, STALLINGS, type Summary } from "./api_scenario.ts";

Deno.test("API: list, message, raw, attachment, query, tokens and deletion over HTTP", async () => {
  await withWebServers(async ({ smtp, url, temp }) => {
    await checkEveryCall(smtp.port, url);
    assert.deepEqual((await readRecords(temp.root, "Andrew")).records, []);
  });
});

Deno.test("API: the list decodes encoded words (RFC 2047), and a search finds them and text sent encoded", async () => {
  await withWebServers(async ({ smtp, url }) => {
    await sendMessages(smtp.port, [
      "From: =?UTF-8?Q?J=C3=BCrgen?= <j@localhost>\r\nTo: andrew@localhost\r\n" +
      "Subject: =?UTF-8?B?SGVsbG8gd8O2cmxk?=\r\n\r\nx\r\n",
    ]);
    const [message] = ((await call(url, "/api/v1/messages?query=W%C3%96RLD", { auth: ANDREW })).json as List).messages;
    assert.deepEqual([message.from, message.subject], ["Jürgen <j@localhost>", "Hello wörld"]);
    // Text sent in base64 and in quoted-printable is searched decoded.
    const parts = [["base64", btoa("Grüße aus Kiel")], ["quoted-printable", "caf=C3=A9 au lait"]];
    await sendMessages(
      smtp.port,
      parts.map(([encoding, text]) =>
        `To: andrew@localhost\r\nSubject: ${encoding}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Transfer-Encoding: ${encoding}\r\n\r\n${text}\r\n`
      ),
    );
    for (const [query, subject] of [["kiel", "base64"], ["CAF%C3%89", "quoted-printable"]]) {
      const found = ((await call(url, `/api/v1/messages?query=${query}`, { auth: ANDREW })).json as List).messages;
      assert.deepEqual(found.map((m) => m.subject), [subject], query);
    }
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
    const huge = JSON.stringify({ ...STALLINGS, padding: "x".repeat(10_000) });
    assert.equal((await call(url, "/api/v1/login", { method: "POST", body: huge })).status, 413);
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
    // The newest id, noted before sending: the wait cannot miss a mail that comes before the server starts waiting.
    const newest = ((await call(url, "/api/v1/messages?limit=1", { auth: ANDREW })).json as List).messages[0].id;
    const after = encodeURIComponent(newest);
    const waiting = call(url, `/api/v1/wait?to=Andrew@localhost&timeout=60&after=${after}`, { auth: ANDREW });
    // Another address first: it must not end the wait.
    await sendMessages(smtp.port, ["To: someone@localhost\r\nSubject: Not this\r\n\r\nx\r\n"]);
    await sendMessages(smtp.port, ["To: Andrew <andrew@localhost>\r\nSubject: This one\r\n\r\ny\r\n"]);
    const answer = await waiting;
    assert.equal(answer.status, 200);
    assert.equal((answer.json as Summary).subject, "This one");
    assert.equal((await call(url, "/api/v1/wait?timeout=1", { auth: ANDREW })).status, 400);
    assert.equal((await call(url, "/api/v1/wait?to=a@localhost&after=nothing", { auth: ANDREW })).status, 404);
    // At most 8 waits of one user at once; another user's are counted apart.
    const eight = Array.from({ length: 8 }, () => call(url, "/api/v1/wait?to=a@localhost&timeout=3", { auth: ANDREW }));
    let ninth = await call(url, "/api/v1/wait?to=a@localhost&timeout=0", { auth: ANDREW });
    // The eight may not all have reached the server yet.
    for (let tries = 0; ninth.status === 204 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      ninth = await call(url, "/api/v1/wait?to=a@localhost&timeout=0", { auth: ANDREW });
    }
    assert.equal(ninth.status, 429);
    assert.equal((await call(url, "/api/v1/wait?to=a@localhost&timeout=0", { auth: STALLINGS })).status, 204);
    assert.deepEqual((await Promise.all(eight)).map((a) => a.status), Array(8).fill(204));
  });
});

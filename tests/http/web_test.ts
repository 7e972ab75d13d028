/**
 * The web inbox's pages over real HTTP against real smtpmail and popserver
 * processes: login and its cookie, the list and a message, HTML kept from
 * running script, the CSRF rule, deletion with confirmation (and 409 while
 * a POP3 session holds the mailbox), logout, and the Secure cookie over TLS.
 *
 * @module
 */

import assert from "node:assert/strict";
import { passwordOf, Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages } from "../helpers/pop3_server.ts";
import { tlsFlags, withTestCert } from "../helpers/tls.ts";
import { type Answer, call, withWebServers } from "../helpers/web_server.ts";

/** A logged-in browser, as far as the server can tell: the session cookie and the page's CSRF token. */
interface Session {
  cookie: string;
  csrf: string;
}

/** Logs in through the login form. */
async function logIn(url: string, user: string): Promise<Session & { setCookie: string }> {
  const body = new URLSearchParams({ user, password: passwordOf(user) });
  const answer = await call(url, "/login", { method: "POST", body });
  assert.equal(answer.status, 303);
  assert.equal(answer.headers.get("location"), "/");
  const setCookie = answer.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0];
  const inbox = await call(url, "/", { auth: { cookie } });
  return { cookie, csrf: csrfOf(inbox), setCookie };
}

/** The CSRF token in a page's forms. */
function csrfOf(answer: Answer): string {
  const m = /name="csrf" value="([^"]+)"/.exec(answer.text);
  assert.ok(m, "no CSRF token in the page");
  return m[1];
}

/** A form post with the session's cookie. */
function post(url: string, path: string, session: Session, fields: [string, string][]): Promise<Answer> {
  return call(url, path, { method: "POST", auth: { cookie: session.cookie }, body: new URLSearchParams(fields) });
}

const HOSTILE = [
  "From: <script>alert(1)</script>@localhost",
  "To: andrew@localhost",
  "Subject: <img src=x onerror=alert(2)>",
  "MIME-Version: 1.0",
  "Content-Type: text/html; charset=utf-8",
  "",
  '<p>Hello</p><script>document.title="ran"</script><img src="https://example.org/track.png">',
  "",
].join("\r\n");

Deno.test("Web inbox: 401 with the login form until logged in; the cookie is HttpOnly and SameSite=Strict", async () => {
  await withWebServers(async ({ url }) => {
    for (const path of ["/", "/messages/x", "/messages/x/html", "/messages/x/raw", "/delete?all=1"]) {
      const answer = await call(url, path);
      assert.equal(answer.status, 401, path);
      assert.match(answer.text, /<form class="login" method="post" action="\/login">/);
    }
    const wrong = await call(url, "/login", {
      method: "POST",
      body: new URLSearchParams({ user: "Andrew", password: "nope" }),
    });
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, /Wrong user name or password/);
    const { setCookie } = await logIn(url, "andrew");
    assert.match(setCookie, /^mail_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const css = await call(url, "/static/style.css");
    assert.deepEqual([css.status, css.headers.get("content-type")], [200, "text/css; charset=utf-8"]);
  });
});

Deno.test("Web inbox and API logins are throttled as POP3's are: blocked after --lockout-after failures", async () => {
  await withWebServers(async ({ url }) => {
    const wrong = new URLSearchParams({ user: "Andrew", password: "nope" });
    for (let i = 0; i < 2; i++) assert.equal((await call(url, "/login", { method: "POST", body: wrong })).status, 401);
    const right = new URLSearchParams({ user: "Andrew", password: passwordOf("Andrew") });
    const refused = await call(url, "/login", { method: "POST", body: right });
    assert.equal(refused.status, 401);
    assert.match(refused.text, /Too many failed logins/);
    const api = await call(url, "/api/v1/messages", { auth: { user: "Andrew", password: passwordOf("Andrew") } });
    assert.equal(api.status, 401);
    assert.match((api.json as { error: string }).error, /Too many failed logins/);
    // Another user is not blocked.
    assert.equal((await logIn(url, "Stallings")).cookie.startsWith("mail_session="), true);
  }, { popFlags: ["--lockout-after", "2"] });
});

Deno.test("Web inbox: the list and a message, every value escaped, the HTML sandboxed without script", async () => {
  await withWebServers(async ({ smtp, url }) => {
    await sendMessages(smtp.port, [HOSTILE]);
    const session = await logIn(url, "Andrew");
    const inbox = await call(url, "/", { auth: session });
    assert.equal(inbox.status, 200);
    assert.match(inbox.headers.get("content-security-policy") ?? "", /script-src 'self';/);
    assert.ok(!inbox.text.includes("<script>alert"), "a header became markup");
    assert.match(inbox.text, /&lt;img src=x onerror=alert\(2\)&gt;/);
    const id = /href="\/messages\/([^"]+)"/.exec(inbox.text)![1];

    const message = await call(url, `/messages/${id}`, { auth: session });
    assert.match(message.text, /<iframe sandbox src="\/messages\/[^"]+\/html"/);
    assert.match(message.text, /Remote images are blocked/);
    const frame = await call(url, `/messages/${id}/html`, { auth: session });
    const csp = frame.headers.get("content-security-policy") ?? "";
    assert.match(csp, /^sandbox; default-src 'none';/);
    assert.ok(!/script-src/.test(csp), csp);
    assert.match(csp, /img-src data:;/);
    const shown = await call(url, `/messages/${id}/html?images=1`, { auth: session });
    assert.match(shown.headers.get("content-security-policy") ?? "", /img-src data: https: http:;/);
    const raw = await call(url, `/messages/${id}/raw`, { auth: session });
    assert.equal(raw.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.match(raw.text, /^Received: /m);
  });
});

Deno.test("Web inbox: an inline image (cid:) shows in the message's HTML as a data: URL", async () => {
  await withWebServers(async ({ smtp, url }) => {
    await sendMessages(smtp.port, [[
      "To: andrew@localhost",
      "Subject: Picture",
      'Content-Type: multipart/related; boundary="r"',
      "",
      "--r",
      "Content-Type: text/html",
      "",
      '<p><img src="cid:dot@x" alt="dot"></p>',
      "--r",
      "Content-Type: image/gif",
      "Content-ID: <dot@x>",
      "Content-Transfer-Encoding: base64",
      "",
      "R0lGODlhAQABAAAAACw=",
      "--r--",
      "",
    ].join("\r\n")]);
    const session = await logIn(url, "Andrew");
    const id = /href="\/messages\/([^"]+)"/.exec((await call(url, "/", { auth: session })).text)![1];
    const frame = await call(url, `/messages/${id}/html`, { auth: session });
    assert.match(frame.text, /<img src="data:image\/gif;base64,R0lGODlhAQABAAAAACw=" alt="dot">/);
  });
});

Deno.test("Web inbox: deletions need the CSRF token, are confirmed, and answer 409 during a POP3 session", async () => {
  await withWebServers(async ({ smtp, pop3, url }) => {
    await sendMessages(smtp.port, [HOSTILE, HOSTILE, HOSTILE]);
    const session = await logIn(url, "Andrew");
    const ids = [...(await call(url, "/", { auth: session })).text.matchAll(/name="id" value="([^"]+)"/g)].map((m) =>
      m[1]
    );
    assert.equal(ids.length, 3);
    const total = async () =>
      ((await call(url, "/api/v1/messages", { auth: session })).json as { total: number }).total;

    // Without the token, or with another session's, nothing happens: not through the form, nor the API.
    const other = await logIn(url, "Andrew");
    for (const csrf of [undefined, other.csrf]) {
      const fields: [string, string][] = [["id", ids[0]], ...(csrf ? [["csrf", csrf] as [string, string]] : [])];
      assert.equal((await post(url, "/delete", session, fields)).status, 403);
      const headers = csrf ? { "X-CSRF-Token": csrf } : undefined;
      assert.equal(
        (await call(url, `/api/v1/messages/${ids[0]}`, { method: "DELETE", auth: session, headers })).status,
        403,
      );
    }
    assert.equal((await post(url, "/logout", session, [])).status, 403);
    assert.equal(await total(), 3);

    const confirm = await call(url, `/delete?id=${encodeURIComponent(ids[0])}&id=${encodeURIComponent(ids[1])}`, {
      auth: session,
    });
    assert.match(confirm.text, /<h1>Delete 2 messages\?<\/h1>/);
    assert.equal(csrfOf(confirm), session.csrf);
    const client = await Pop3Client.login(pop3.port, "Andrew");
    try {
      const busy = await post(url, "/delete", session, [["csrf", session.csrf], ["id", ids[0]], ["id", ids[1]]]);
      assert.equal(busy.status, 409);
      assert.match(busy.text, /open in a POP3 session/);
      await client.quit();
    } finally {
      await client.close();
    }
    let done = await post(url, "/delete", session, [["csrf", session.csrf], ["id", ids[0]], ["id", ids[1]]]);
    // The session's lock is let go just after its QUIT's reply.
    for (let tries = 0; done.status === 409 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      done = await post(url, "/delete", session, [["csrf", session.csrf], ["id", ids[0]], ["id", ids[1]]]);
    }
    assert.deepEqual([done.status, done.headers.get("location")], [303, "/"]);
    assert.equal(await total(), 1);
    const api = await call(url, `/api/v1/messages/${ids[2]}`, {
      method: "DELETE",
      auth: session,
      headers: { "X-CSRF-Token": session.csrf },
    });
    assert.deepEqual([api.status, api.json], [200, { deleted: 1 }]);
    assert.match((await call(url, "/delete?all=1", { auth: session })).text, /Delete all messages\?/);
    assert.equal((await post(url, "/delete", session, [["csrf", session.csrf], ["all", "1"]])).status, 303);

    const out = await post(url, "/logout", session, [["csrf", session.csrf]]);
    assert.deepEqual([out.status, out.headers.get("location")], [303, "/login"]);
    assert.match(out.headers.get("set-cookie") ?? "", /^mail_session=; .*Max-Age=0/);
    assert.equal((await call(url, "/", { auth: session })).status, 401);
    assert.equal((await call(url, "/", { auth: other })).status, 200);
  });
});

Deno.test("Web inbox over TLS (--http-tls): https, and the session cookie is Secure", async () => {
  await withTestCert(async (cert) => {
    await withWebServers(async ({ url }) => {
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
      const client = Deno.createHttpClient({ caCerts: [cert.pem] });
      try {
        const response = await fetch(new URL("/login", url.replace("127.0.0.1", "localhost")), {
          method: "POST",
          body: new URLSearchParams({ user: "Andrew", password: passwordOf("Andrew") }),
          redirect: "manual",
          client,
        });
        await response.body?.cancel();
        assert.equal(response.status, 303);
        assert.match(response.headers.get("set-cookie") ?? "", /; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
      } finally {
        client.close();
      }
    }, { popFlags: [...tlsFlags(cert), "--http-tls"] });
  });
});

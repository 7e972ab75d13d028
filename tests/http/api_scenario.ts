/**
 * One walk through every call of the JSON API, over real HTTP, shared by
 * the tests of both stores: the list, one message, its source and
 * attachment, search and paging, login tokens, and deletion.
 *
 * @module
 */

import assert from "node:assert/strict";
import { passwordOf } from "../helpers/pop3_client.ts";
import { sendMessages } from "../helpers/pop3_server.ts";
import { call } from "../helpers/web_server.ts";

/** Andrew's Basic credentials. */
export const ANDREW = { user: "Andrew", password: passwordOf("Andrew") };
/** Stallings's Basic credentials. */
export const STALLINGS = { user: "Stallings", password: passwordOf("Stallings") };

/** A multipart mail with a text part, an HTML part and a small attachment. */
export const RICH = [
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

/** A one-part mail. */
export const PLAIN = "From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: Plain note\r\n\r\nJust text.\r\n";

/** A list entry. */
export interface Summary {
  id: string;
  from: string;
  to: string;
  subject: string;
  date: string;
  size: number;
}

/** The list. */
export interface List {
  total: number;
  messages: Summary[];
}

/**
 * Sends two mails to Andrew through smtpmail and walks through every API
 * call; ends with Andrew's mailbox empty.
 */
export async function checkEveryCall(smtpPort: number, url: string): Promise<void> {
  await sendMessages(smtpPort, [RICH, PLAIN]);
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

  // The source as stored: the mail as sent (unstuffed), with our trace line after its Subject.
  const raw = await call(url, `/api/v1/messages/${rich.id}/raw`, { auth: ANDREW });
  assert.equal(raw.text.replace(/^Received: [^\r]*\r\n/m, ""), RICH);
  assert.match(
    raw.text,
    new RegExp(`^Subject: Report attached\r\nReceived: .* id ${rich.id.replace(".", "\\.")};`, "m"),
  );
  assert.equal(raw.headers.get("content-length"), String(rich.size));

  const pdf = await call(url, `/api/v1/messages/${rich.id}/attachments/0`, { auth: ANDREW });
  assert.equal(pdf.headers.get("content-type"), "application/pdf");
  assert.match(pdf.headers.get("content-disposition") ?? "", /^attachment; filename="report.pdf"/);
  assert.equal(pdf.text, "%PDF-1.4\n%äüöß\n");
  assert.equal((await call(url, `/api/v1/messages/${rich.id}/attachments/1`, { auth: ANDREW })).status, 404);

  const found = (await call(url, "/api/v1/messages?query=PLAIN%20note", { auth: ANDREW })).json as List;
  assert.deepEqual([found.total, found.messages[0].id], [1, plain.id]);
  // Words of the text, and one of the subject with one of the text.
  const text = (await call(url, "/api/v1/messages?query=began%20DOT", { auth: ANDREW })).json as List;
  assert.deepEqual([text.total, text.messages[0].id], [1, rich.id]);
  const mixed = (await call(url, "/api/v1/messages?query=plain%20just", { auth: ANDREW })).json as List;
  assert.deepEqual([mixed.total, mixed.messages[0].id], [1, plain.id]);
  assert.equal(((await call(url, "/api/v1/messages?query=note%20report", { auth: ANDREW })).json as List).total, 0);
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
}

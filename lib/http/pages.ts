/**
 * The web inbox's pages as HTML, from plain data: login, the list, one
 * message, the confirmation of a deletion, and a notice. Pure; every value
 * from a message is escaped (`html`). No build step and nothing from
 * elsewhere: one stylesheet and one small script, both served by the
 * server itself.
 *
 * @module
 */

import { formatSize } from "../client/display.ts";
import { type Html, html, type HtmlValue } from "./html.ts";
import type { MessageDetail } from "./message_json.ts";
import type { MessageSummary } from "./mailbox_view.ts";

/** The frame every page shares. */
function layout(title: string, body: HtmlValue, user?: { name: string; csrf: string }): Html {
  const bar = user === undefined ? "" : html`
    <header>
      <a class="home" href="/">Inbox</a>
      <span class="who">${user.name}</span>
      <form method="post" action="/logout"><input type="hidden" name="csrf" value="${user.csrf}">
    <button type="submit">Log out</button></form>
    </header>
  `;
  return html`
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>${title}</title>
        <link rel="stylesheet" href="/static/style.css">
        <script src="/static/inbox.js" defer></script>
      </head>
      <body>${bar}<main>${body}</main></body>
    </html>
  `;
}

/** The login form; `error` says why the last try failed. */
export function loginPage(error?: string): Html {
  return layout(
    "Log in",
    html`<h1>Mail</h1>
<form class="login" method="post" action="/login">
${error ? html`<p class="error" role="alert">${error}</p>` : ""}
<label>User name <input name="user" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button>
</form>`,
  );
}

/** What the list page shows. */
export interface ListPageData {
  /** The user and the CSRF token of the session. */
  user: { name: string; csrf: string };
  /** The messages of the page, newest first. */
  messages: MessageSummary[];
  /** Messages matching the query in all. */
  total: number;
  /** How many newer ones come before this page. */
  start: number;
  /** The page's size. */
  limit: number;
  /** The search, "" for none. */
  query: string;
  /** The id of the newest message in the mailbox, for the script to notice new mail. */
  newest: string;
}

/** "2026-12-07 19:05" in UTC, as the list and message pages show times. */
export function shortTime(date: Date): string {
  return date.toISOString().slice(0, 16).replace("T", " ");
}

/** The list: a search box, one row per message with a box to select it, paging, and deletion. */
export function listPage(data: ListPageData): Html {
  const { messages, total, start, limit, query } = data;
  const link = (from: number) => `/?${new URLSearchParams({ ...(query ? { query } : {}), start: String(from) })}`;
  const rows = messages.map((m) =>
    html`
      <tr>
        <td><input type="checkbox" name="id" value="${m.id}" form="selection" aria-label="Select"></td>
        <td class="from">${m.from || "(no sender)"}</td>
        <td class="subject"><a href="/messages/${encodeURIComponent(m.id)}">${m.subject || "(no subject)"}</a></td>
        <td class="date"><time datetime="${m.received.toISOString()}">${shortTime(m.received)}</time></td>
        <td class="size">${formatSize(m.size)}</td>
      </tr>
    `
  );
  const range = total === 0 ? "No messages" : `${start + 1}–${start + messages.length} of ${total}`;
  return layout(
    "Inbox",
    html`
      <form class="search" method="get" action="/" role="search">
      <input type="search" name="query" value="${query}" placeholder="Search mail" aria-label="Search sender, recipient, subject and text">
      <button type="submit">Search</button></form>
      <p id="new-mail" class="notice" hidden></p>
      <form id="selection" method="get" action="/delete"></form>
      <table id="inbox" data-start="${start}" data-limit="${limit}" data-query="${query}" data-total="${total}"
        data-newest="${data.newest}">
        <thead>
          <tr>
            <th></th>
            <th>From</th>
            <th>Subject</th>
            <th>Date (UTC)</th>
            <th>Size</th>
          </tr>
        </thead>
        <tbody>${rows}</tbody>
      </table>
      <nav class="pages"><span>${range}</span>
      ${start > 0 ? html`<a href="${link(Math.max(0, start - limit))}" rel="prev">Newer</a>` : ""}
      ${start + limit < total ? html`<a href="${link(start + limit)}" rel="next">Older</a>` : ""}
      </nav>
      <div class="actions">
        <button type="submit" form="selection">Delete selected</button>
        <a class="button" href="/delete?all=1">Delete all</a>
      </div>
    `,
    data.user,
  );
}

/** What the message page shows. */
export interface MessagePageData {
  /** The user and the CSRF token of the session. */
  user: { name: string; csrf: string };
  /** The message decoded. */
  message: MessageDetail;
  /** Whether remote images are let through in its HTML. */
  images: boolean;
}

/** One message: its main headers, its text, its HTML in a sandboxed frame, its attachments and its source. */
export function messagePage(data: MessagePageData): Html {
  const m = data.message;
  const base = `/messages/${encodeURIComponent(m.id)}`;
  const remote = m.html !== null && /<img[^>]+src\s*=\s*["']?\s*(https?:)?\/\//i.test(m.html);
  const field = (name: string, value: string | null) =>
    value
      ? html`
        <dt>${name}</dt>
        <dd>${value}</dd>
      `
      : "";
  const attachments = m.attachments.map((a) =>
    html`<li><a href="${base}/attachments/${a.index}" download>${a.filename ?? `attachment ${a.index + 1}`}</a>
<span class="meta">${a.contentType}, ${formatSize(a.size)}</span></li>`
  );
  return layout(
    m.subject || "(no subject)",
    html`<article>
<h1>${m.subject || "(no subject)"}</h1>
<dl class="headers">${field("From", m.from)}${field("To", m.to)}${field("Cc", m.cc)}${field("Date", m.date)}
<dt>Received</dt><dd><time datetime="${m.received}">${shortTime(new Date(m.received))} UTC</time></dd>
<dt>Size</dt><dd>${formatSize(m.size)}</dd></dl>
${m.undecoded ? html`<p class="notice">Not decoded: ${m.undecoded}. See the source.</p>` : ""}
${
      m.html !== null
        ? html`<section class="html"><h2>HTML</h2>
${
          remote && !data.images
            ? html`<p class="notice">Remote images are blocked. <a href="${base}?images=1">Show them</a></p>`
            : ""
        }
<iframe sandbox src="${base}/html${data.images ? "?images=1" : ""}" title="The message's HTML"></iframe></section>`
        : ""
    }
${
      m.text !== null
        ? html`
          <section class="text">
            <h2>Text</h2>
            <pre>${m.text}</pre>
          </section>
        `
        : ""
    }
${
      attachments.length > 0
        ? html`
          <section class="attachments">
            <h2>Attachments</h2>
            <ul>${attachments}</ul>
          </section>
        `
        : ""
    }
<div class="actions"><a class="button" href="${base}/raw">Source</a>
<a class="button" href="/delete?id=${encodeURIComponent(m.id)}">Delete</a>
<a class="button" href="/">Back to the inbox</a></div>
</article>`,
    data.user,
  );
}

/** Asks to confirm a deletion of the messages `ids` (all when `all`), showing their subjects. */
export function confirmPage(
  data: { user: { name: string; csrf: string }; all: boolean; messages: MessageSummary[] },
): Html {
  const count = data.all ? "all messages" : `${data.messages.length} message${data.messages.length === 1 ? "" : "s"}`;
  const ids = data.messages.map((m) => html`<input type="hidden" name="id" value="${m.id}">`);
  const listed = data.all
    ? ""
    : html`<ul>${data.messages.map((m) => html`<li>${m.subject || "(no subject)"}</li>`)}</ul>`;
  return layout(
    "Delete?",
    html`<h1>Delete ${count}?</h1>${listed}
<form method="post" action="/delete"><input type="hidden" name="csrf" value="${data.user.csrf}">
${data.all ? html`<input type="hidden" name="all" value="1">` : ids}
<button type="submit" class="danger" autofocus>Delete</button> <a class="button" href="/">Cancel</a></form>`,
    data.user,
  );
}

/** A page saying one thing, with a way back. */
export function noticePage(title: string, text: string, user?: { name: string; csrf: string }): Html {
  return layout(
    title,
    html`
      <h1>${title}</h1>
      <p>${text}</p>
      <p><a href="/">Back to the inbox</a></p>
    `,
    user,
  );
}

/**
 * The web inbox's pages: login and logout with a session cookie, the list,
 * one message (its HTML served apart, sandboxed), and deletion with a
 * confirmation and a CSRF token.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { Email } from "postal-mime";
import { type ApiContext, attachment, decoded, raw } from "./api.ts";
import { boundedText } from "./request_body.ts";
import { attachmentBytes } from "./message_json.ts";
import { sessionCookie } from "./credentials.ts";
import { Html, page } from "./html.ts";
import { type Identity, SESSION_COOKIE } from "./identify.ts";
import { confirmPage, listPage, loginPage, messagePage, noticePage } from "./pages.ts";
import type { Route } from "./routes.ts";
import { STATIC_FILES } from "./static_files.ts";

/** What the pages need besides the API's context. */
export interface WebContext extends ApiContext {
  /** Whether the server is reached over TLS: its cookies are then `Secure`. */
  secure: boolean;
}

/** Messages on a page of the list. */
const PAGE_SIZE = 50;
/** The largest login or deletion form taken, in octets. */
const MAX_FORM = 64 * 1024;
/** Seconds a session cookie lasts, as its token does. */
const COOKIE_SECONDS = 12 * 60 * 60;

/** Serves the pages that need no login: the stylesheet and script, and the login form and its answer. */
export async function publicPage(
  route: Route,
  request: Request,
  clientAddress: string,
  ctx: WebContext,
): Promise<Response | undefined> {
  if (route.kind === "static") {
    const file = STATIC_FILES[route.name];
    if (file === undefined) return page(noticePage("Not found", "There is no such file."), { status: 404 });
    return new Response(file.body, { headers: { "Content-Type": file.type, "Cache-Control": "no-cache" } });
  }
  if (route.kind === "page-login") return page(loginPage());
  if (route.kind !== "page-login-submit") return undefined;
  const form = await readForm(request);
  const name = form?.get("user");
  const password = form?.get("password");
  if (typeof name !== "string" || typeof password !== "string") {
    return page(loginPage("Enter your user name and password."), { status: 400 });
  }
  const user = await ctx.identifier.login(name, password, clientAddress);
  if (typeof user !== "string") {
    const why = user.failure === "locked" ? "Too many failed logins: try again later." : "Wrong user name or password.";
    return page(loginPage(why), { status: 401 });
  }
  const { token } = ctx.sessions.create(user);
  const cookie = sessionCookie(SESSION_COOKIE, token, { secure: ctx.secure, maxAge: COOKIE_SECONDS });
  return new Response(null, { status: 303, headers: { Location: "/", "Set-Cookie": cookie } });
}

/** The answer to a page asked for without a valid session: 401, with the login form. */
export function loginRequired(): Response {
  return page(loginPage(), { status: 401 });
}

/** Serves a page to a logged-in user. */
export async function userPage(route: Route, request: Request, identity: Identity, ctx: WebContext): Promise<Response> {
  const user = identity.user;
  const url = new URL(request.url);
  const me = { name: user, csrf: identity.via === "cookie" ? ctx.sessions.csrf(identity.token) : "" };
  switch (route.kind) {
    case "page-list": {
      const start = Math.max(0, Number(url.searchParams.get("start")) || 0);
      const query = (url.searchParams.get("query") ?? "").slice(0, 500);
      const listed = await ctx.view.page(user, { start, limit: PAGE_SIZE, query });
      return page(listPage({ user: me, ...listed, start, limit: PAGE_SIZE, query }));
    }
    case "page-message": {
      const found = await decoded(user, route.id, ctx.view);
      if (found === undefined) return notFound(me);
      return page(messagePage({ user: me, message: found.detail, images: url.searchParams.get("images") === "1" }));
    }
    case "page-html":
      return await messageHtml(user, route.id, url.searchParams.get("images") === "1", ctx);
    case "page-raw":
      return await raw(user, route.id, ctx);
    case "page-attachment":
      return await attachment(user, route.id, route.index, ctx);
    case "page-delete-confirm":
      return await confirmDeletion(url.searchParams, me, ctx);
  }
  // What is left changes something: only with the session's cookie and its CSRF token.
  const form = await readForm(request);
  if (identity.via !== "cookie" || !ctx.sessions.checkCsrf(identity.token, form?.get("csrf"))) {
    return page(noticePage("Not allowed", "This form has expired: go back, reload the page and try again.", me), {
      status: 403,
    });
  }
  if (route.kind === "page-logout") {
    ctx.sessions.end(identity.token);
    const cookie = sessionCookie(SESSION_COOKIE, "", { secure: ctx.secure, maxAge: 0 });
    return new Response(null, { status: 303, headers: { Location: "/login", "Set-Cookie": cookie } });
  }
  if (route.kind === "page-delete") return await deletion(form!, me, ctx);
  return notFound(me);
}

/** The message's HTML alone, for the message page's sandboxed frame: no script, no remote images unless asked. */
async function messageHtml(user: string, id: string, images: boolean, ctx: WebContext): Promise<Response> {
  const found = await decoded(user, id, ctx.view);
  if (found?.detail.html == null) return page(noticePage("Not found", "This message has no HTML."), { status: 404 });
  const csp = "sandbox; default-src 'none'; style-src 'unsafe-inline'; font-src data:; frame-ancestors 'self'; " +
    `img-src data:${images ? " https: http:" : ""}; form-action 'none'; base-uri 'none'`;
  const html = found.email ? inlineImages(found.detail.html, found.email) : found.detail.html;
  return page(new Html(html), { headers: { "Content-Security-Policy": csp } });
}

/** The largest inline image put into the HTML as a data: URL. */
const MAX_INLINE_IMAGE = 2 * 1024 * 1024;

/**
 * The HTML with each `cid:` reference to an image part of the message
 * (RFC 2392) turned into a data: URL, which the frame's CSP allows: the
 * frame, sandboxed into an origin of its own, could not fetch the part.
 */
export function inlineImages(html: string, email: Email): string {
  return html.replace(/\bcid:([^"'\s)>]+)/gi, (all, id: string) => {
    const wanted = /%[0-9a-f]{2}/i.test(id)
      ? id.replace(/%([0-9a-f]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)))
      : id;
    const index = email.attachments.findIndex((a) => a.contentId?.replace(/^<|>$/g, "") === wanted);
    const part = index < 0 ? undefined : attachmentBytes(email, index);
    if (part === undefined || !/^image\/[\w.+-]+$/.test(part.info.contentType)) return all;
    if (part.bytes.length > MAX_INLINE_IMAGE) return all;
    return `data:${part.info.contentType};base64,${Buffer.from(part.bytes).toString("base64")}`;
  });
}

async function confirmDeletion(params: URLSearchParams, me: { name: string; csrf: string }, ctx: WebContext) {
  const all = params.get("all") === "1";
  const ids = new Set(params.getAll("id"));
  const messages = all ? [] : await ctx.view.select(me.name, ids);
  if (!all && messages.length === 0) {
    return page(noticePage("Nothing selected", "Select the messages to delete first.", me), { status: 400 });
  }
  return page(confirmPage({ user: me, all, messages }));
}

async function deletion(form: URLSearchParams, me: { name: string; csrf: string }, ctx: WebContext): Promise<Response> {
  const all = form.get("all") === "1";
  const ids = new Set(form.getAll("id"));
  const outcome = await ctx.view.remove(me.name, all ? "all" : ids);
  if (outcome === "in-use") {
    const text = "Your mailbox is open in a POP3 session (a mail program): nothing was deleted. " +
      "Try again once it has finished.";
    return page(noticePage("Mailbox in use", text, me), { status: 409 });
  }
  if (outcome === "not-found") return notFound(me);
  return new Response(null, { status: 303, headers: { Location: "/" } });
}

function notFound(me: { name: string; csrf: string }): Response {
  return page(noticePage("Not found", "There is no such message in your mailbox.", me), { status: 404 });
}

/** The request's form (`application/x-www-form-urlencoded`, as the pages send it), or undefined when too large. */
async function readForm(request: Request): Promise<URLSearchParams | undefined> {
  if (request.method !== "POST") return undefined;
  const text = await boundedText(request, MAX_FORM);
  return text === undefined ? undefined : new URLSearchParams(text);
}

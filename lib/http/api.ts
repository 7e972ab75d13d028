/**
 * The JSON API under `/api/v1/` (described in `docs/openapi.json`): the
 * list, one message, its source and attachments, deletion, the long poll,
 * and login tokens.
 *
 * @module
 */

import type { Identity, RequestIdentifier } from "./identify.ts";
import type { MailboxView, MessageSummary } from "./mailbox_view.ts";
import { attachmentBytes, type DecodedMessage, decodeMessage, HEADER_PREFIX, MAX_DECODE } from "./message_json.ts";
import { listAttachments, streamAttachment } from "./attachment_stream.ts";
import { attachmentDisposition, json, jsonError, unauthorized } from "./responses.ts";
import type { Route } from "./routes.ts";
import type { SessionTable } from "./sessions.ts";
import { waitForMessage } from "./wait.ts";
import { boundedText } from "./request_body.ts";
import { parseBearer } from "./credentials.ts";

/** What the API's handlers share. */
export interface ApiContext {
  /** The mailboxes. */
  view: MailboxView;
  /** Login tokens. */
  sessions: SessionTable;
  /** Checks passwords at login. */
  identifier: RequestIdentifier;
  /** Aborts when the server shuts down: long polls end then. */
  stopping: AbortSignal;
  /** Long polls open, by user. */
  waits: Map<string, number>;
}

/** Most messages on one page of the list. */
export const MAX_LIMIT = 1000;
/** The page size when none is asked for. */
const DEFAULT_LIMIT = 50;
/** The longest wait asked for, in seconds. */
const MAX_WAIT_SECONDS = 300;
/** The longest login request taken, in octets. */
const MAX_LOGIN_BODY = 4096;
/** Long polls one user may have open at once: each lists the mailbox four times a second. */
export const MAX_WAITS_PER_USER = 8;
/** The header naming the CSRF token, for a request authenticated by the session cookie. */
export const CSRF_HEADER = "X-CSRF-Token";
/** The message a 409 gives. */
export const IN_USE =
  "The mailbox is open in a POP3 session: nothing was deleted; try again once that session has ended";

/** A list entry as the API gives it. */
export function summary(r: MessageSummary): Record<string, string | number> {
  return { id: r.id, from: r.from, to: r.to, subject: r.subject, date: r.received.toISOString(), size: r.size };
}

/** `POST /api/v1/login`: `{"user", "password"}` in, `{"token", "expires"}` out. */
export async function apiLogin(request: Request, clientAddress: string, ctx: ApiContext): Promise<Response> {
  const text = await boundedText(request, MAX_LOGIN_BODY);
  if (text === undefined) return jsonError(413, `Send at most ${MAX_LOGIN_BODY} octets`);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (typeof body?.user !== "string" || typeof body?.password !== "string") {
    return jsonError(400, 'Send {"user": "…", "password": "…"} as JSON');
  }
  const user = await ctx.identifier.login(body.user, body.password, clientAddress);
  if (typeof user !== "string") return unauthorized(user.failure);
  const { token, expires } = ctx.sessions.create(user);
  return json({ user, token, expires: expires.toISOString() });
}

/** Serves an authenticated API request. */
export async function apiCall(
  route: Route,
  request: Request,
  identity: Identity,
  ctx: ApiContext,
): Promise<Response> {
  const { user } = identity;
  const url = new URL(request.url);
  if (request.method === "DELETE" || request.method === "POST") {
    if (identity.via === "cookie" && !ctx.sessions.checkCsrf(identity.token, request.headers.get(CSRF_HEADER))) {
      return jsonError(403, `A change made with the session cookie needs the ${CSRF_HEADER} header`);
    }
  }
  switch (route.kind) {
    case "api-list":
      return await list(user, url.searchParams, ctx);
    case "api-message":
      return await message(user, route.id, ctx);
    case "api-raw":
      return await raw(user, route.id, ctx);
    case "api-attachment":
      return await attachment(user, route.id, route.index, ctx);
    case "api-delete":
      return removed(await ctx.view.remove(user, new Set([route.id])));
    case "api-delete-all":
      return removed(await ctx.view.remove(user, "all"));
    case "api-wait":
      return await wait(user, url.searchParams, request.signal, ctx);
    case "api-logout":
      if (identity.via === "cookie") ctx.sessions.end(identity.token);
      if (identity.via === "bearer") ctx.sessions.end(parseBearer(request.headers.get("authorization"))!);
      return new Response(null, { status: 204 });
  }
  return jsonError(404, "No such API call");
}

/** A non-negative integer query parameter, its default when absent, or undefined when malformed. */
function intParam(params: URLSearchParams, name: string, fallback: number): number | undefined {
  const text = params.get(name);
  if (text === null || text === "") return fallback;
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

async function list(user: string, params: URLSearchParams, ctx: ApiContext): Promise<Response> {
  const start = intParam(params, "start", 0);
  const limit = intParam(params, "limit", DEFAULT_LIMIT);
  const query = params.get("query") ?? "";
  if (start === undefined || limit === undefined || limit < 1 || limit > MAX_LIMIT || query.length > 500) {
    return jsonError(400, `Use start >= 0, 1 <= limit <= ${MAX_LIMIT}, and a query of at most 500 characters`);
  }
  const page = await ctx.view.page(user, { start, limit, query });
  return json({ total: page.total, start, limit, messages: page.messages.map(summary) });
}

/**
 * The message decoded: whole up to `MAX_DECODE`; a larger one from its
 * first `HEADER_PREFIX` octets, its attachments listed by a streaming walk
 * (`MimeWalk`), whose numbering `/attachments/{n}` then follows.
 */
export async function decoded(user: string, id: string, view: MailboxView): Promise<DecodedMessage | undefined> {
  const opened = await view.open(user, id);
  if (opened === undefined) return undefined;
  const { record, body } = opened;
  if (record.size <= MAX_DECODE) return await decodeMessage(record, await new Response(body).bytes());
  const found = await decodeMessage(record, await prefix(body, HEADER_PREFIX));
  const again = await view.open(user, id);
  if (again !== undefined) found.detail.attachments = await listAttachments(again.body);
  return found;
}

/** The first `length` octets of a stream (fewer if it is shorter); the rest is cancelled. */
async function prefix(stream: ReadableStream<Uint8Array>, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let filled = 0;
  for await (const chunk of stream) {
    const take = Math.min(chunk.length, length - filled);
    out.set(chunk.subarray(0, take), filled);
    filled += take;
    if (filled === length) break;
  }
  return out.subarray(0, filled);
}

async function message(user: string, id: string, ctx: ApiContext): Promise<Response> {
  const found = await decoded(user, id, ctx.view);
  return found === undefined ? noMessage() : json(found.detail);
}

/** The message's source (`/raw`), or a 404. */
export async function raw(user: string, id: string, ctx: ApiContext): Promise<Response> {
  const opened = await ctx.view.open(user, id);
  if (opened === undefined) return noMessage();
  return rawResponse(opened.record, opened.body);
}

/** The message's source as stored, streamed, as plain text that no browser renders as anything else. */
export function rawResponse(record: MessageSummary, body: ReadableStream<Uint8Array>): Response {
  return new Response(body, {
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Length": String(record.size),
      "Content-Security-Policy": "sandbox; default-src 'none'",
    },
  });
}

/** Attachment `index` of the message as a download, or a 404. */
export async function attachment(user: string, id: string, index: number, ctx: ApiContext): Promise<Response> {
  const opened = await ctx.view.open(user, id);
  if (opened === undefined) return noMessage();
  if (opened.record.size > MAX_DECODE) {
    const part = await streamAttachment(opened.body, index);
    if (part === undefined) return jsonError(404, `Message ${id} has no attachment ${index}`);
    return attachmentResponse(part.info.filename ?? `attachment-${index}`, part.info.contentType, part.body);
  }
  await opened.body.cancel();
  const found = await decoded(user, id, ctx.view);
  if (found === undefined) return noMessage();
  const part = found.email && attachmentBytes(found.email, index);
  if (part === undefined) {
    const why = found.detail.undecoded;
    return jsonError(404, why === null ? `Message ${id} has no attachment ${index}` : `Cannot decode: ${why}`);
  }
  return attachmentResponse(part.info.filename ?? `attachment-${index}`, part.info.contentType, part.bytes);
}

/** An attachment as a download, never rendered in the inbox's origin (and sandboxed if it were). */
export function attachmentResponse(
  filename: string,
  contentType: string,
  bytes: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>,
): Response {
  const type = /^[\w.+-]+\/[\w.+-]+$/.test(contentType) ? contentType : "application/octet-stream";
  return new Response(bytes, {
    headers: {
      "Content-Type": type,
      "Content-Disposition": attachmentDisposition(filename),
      "Content-Security-Policy": "sandbox; default-src 'none'",
    },
  });
}

function removed(outcome: Awaited<ReturnType<MailboxView["remove"]>>): Response {
  if (outcome === "not-found") return noMessage();
  if (outcome === "in-use") return jsonError(409, IN_USE);
  return json({ deleted: outcome.removed });
}

async function wait(user: string, params: URLSearchParams, signal: AbortSignal, ctx: ApiContext): Promise<Response> {
  const address = params.get("to") ?? "";
  const seconds = intParam(params, "timeout", 30);
  if (address === "" || address.length > 320 || seconds === undefined || seconds > MAX_WAIT_SECONDS) {
    return jsonError(400, `Use to=ADDRESS and timeout=SECONDS (0 to ${MAX_WAIT_SECONDS})`);
  }
  const after = params.get("after") ?? undefined;
  if (after !== undefined && await ctx.view.find(user, after) === undefined) return noMessage();
  const open = ctx.waits.get(user) ?? 0;
  if (open >= MAX_WAITS_PER_USER) return jsonError(429, `At most ${MAX_WAITS_PER_USER} waits at once`);
  ctx.waits.set(user, open + 1);
  try {
    const found = await waitForMessage(ctx.view, {
      user,
      address,
      after,
      timeoutMs: seconds * 1000,
      signal: AbortSignal.any([signal, ctx.stopping]),
    });
    return found === undefined ? new Response(null, { status: 204 }) : json(summary(found));
  } finally {
    const left = ctx.waits.get(user)! - 1;
    if (left === 0) ctx.waits.delete(user);
    else ctx.waits.set(user, left);
  }
}

function noMessage(): Response {
  return jsonError(404, "No such message");
}

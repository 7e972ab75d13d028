/**
 * smtpmail and popserver with `--http 0` on one fresh data root, and a
 * small HTTP client for the API that checks every response it gets: the
 * headers every response must carry, and the body against
 * `docs/openapi.json`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { checkResponse } from "./openapi.ts";
import { type MailServers, withMailServers } from "./pop3_server.ts";

/** The line popserver prints when it serves HTTP; group 1 is the URL. */
export const WEB_READY = /^popserver web inbox and API at (\S+)$/m;

/** The servers of `withWebServers`: those of `withMailServers`, and the web inbox's URL. */
export interface WebServers extends MailServers {
  /** The web inbox's URL, e.g. "http://127.0.0.1:41234/". */
  url: string;
}

/** Options for `withWebServers`. */
export interface WebServerOptions {
  /** Fills the data root (e.g. writes mailboxes) before the servers start. */
  prepare?: (root: string) => Promise<void>;
  /** More popserver flags. */
  popFlags?: string[];
}

/**
 * Runs `fn` against a fresh smtpmail and a popserver with `--http 0` over
 * one new root (`withMailServers`).
 */
export function withWebServers<T>(fn: (servers: WebServers) => Promise<T>, options: WebServerOptions = {}): Promise<T> {
  return withMailServers(["--http", "0", ...(options.popFlags ?? [])], (servers) => {
    const url = WEB_READY.exec(servers.pop3.stdoutText())?.[1];
    assert.ok(url, `no web line in ${servers.pop3.stdoutText()}`);
    return fn({ ...servers, url });
  }, options.prepare);
}

/** A response as `call` returns it: read whole and checked. */
export interface Answer {
  /** The status. */
  status: number;
  /** The headers. */
  headers: Headers;
  /** The body as text. */
  text: string;
  /** The body as bytes. */
  bytes: Uint8Array;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

/** How to authenticate a call. */
export type Auth = { user: string; password: string } | { token: string } | { cookie: string } | undefined;

/** The `Authorization` or `Cookie` header for `auth`. */
export function authHeaders(auth: Auth): Record<string, string> {
  if (auth === undefined) return {};
  if ("token" in auth) return { Authorization: `Bearer ${auth.token}` };
  if ("cookie" in auth) return { Cookie: auth.cookie };
  return { Authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString("base64")}` };
}

/**
 * Makes one request and reads the whole answer, asserting that it carries
 * `X-Content-Type-Options: nosniff` and a CSP, and, for the API, that it
 * conforms to `docs/openapi.json`.
 */
export async function call(
  base: string,
  path: string,
  options: { method?: string; auth?: Auth; headers?: Record<string, string>; body?: BodyInit } = {},
): Promise<Answer> {
  const method = options.method ?? "GET";
  const response = await fetch(new URL(path, base), {
    method,
    headers: { ...authHeaders(options.auth), ...options.headers },
    body: options.body,
    redirect: "manual",
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  const type = response.headers.get("content-type") ?? "";
  assert.equal(response.headers.get("x-content-type-options"), "nosniff", `${method} ${path}: no nosniff`);
  assert.ok(response.headers.get("content-security-policy"), `${method} ${path}: no CSP`);
  const pathname = new URL(path, base).pathname;
  if (pathname.startsWith("/api/")) checkResponse(method, pathname, response.status, type, text);
  const json = type.startsWith("application/json") ? JSON.parse(text) : undefined;
  return { status: response.status, headers: response.headers, text, bytes, json };
}

/**
 * Which handler a request goes to, from its method and path alone: the
 * JSON API under `/api/v1/` and the web inbox's pages. Pure.
 *
 * @module
 */

/** A request's destination. */
export type Route =
  | { kind: "api-list" }
  | { kind: "api-message"; id: string }
  | { kind: "api-raw"; id: string }
  | { kind: "api-attachment"; id: string; index: number }
  | { kind: "api-delete"; id: string }
  | { kind: "api-delete-all" }
  | { kind: "api-wait" }
  | { kind: "api-login" }
  | { kind: "api-logout" }
  | { kind: "page-list" }
  | { kind: "page-message"; id: string }
  | { kind: "page-html"; id: string }
  | { kind: "page-raw"; id: string }
  | { kind: "page-attachment"; id: string; index: number }
  | { kind: "page-login" }
  | { kind: "page-login-submit" }
  | { kind: "page-logout" }
  | { kind: "page-delete-confirm" }
  | { kind: "page-delete" }
  | { kind: "static"; name: string }
  /** The path is known but not with this method; `allow` lists the methods it takes. */
  | { kind: "method"; allow: string[] }
  | { kind: "not-found" };

type Table = [RegExp, Record<string, (m: RegExpExecArray) => Route>][];

/** An id as a path segment: what the store's ids are made of (printable ASCII but "/"), percent-decoded. */
const ID = "([^/]{1,200})";

const TABLE: Table = [
  [/^\/api\/v1\/messages$/, { GET: () => ({ kind: "api-list" }), DELETE: () => ({ kind: "api-delete-all" }) }],
  [new RegExp(`^/api/v1/messages/${ID}$`), {
    GET: (m) => ({ kind: "api-message", id: m[1] }),
    DELETE: (m) => ({ kind: "api-delete", id: m[1] }),
  }],
  [new RegExp(`^/api/v1/messages/${ID}/raw$`), { GET: (m) => ({ kind: "api-raw", id: m[1] }) }],
  [new RegExp(`^/api/v1/messages/${ID}/attachments/(\\d{1,6})$`), {
    GET: (m) => ({ kind: "api-attachment", id: m[1], index: Number(m[2]) }),
  }],
  [/^\/api\/v1\/wait$/, { GET: () => ({ kind: "api-wait" }) }],
  [/^\/api\/v1\/login$/, { POST: () => ({ kind: "api-login" }) }],
  [/^\/api\/v1\/logout$/, { POST: () => ({ kind: "api-logout" }) }],
  [/^\/$/, { GET: () => ({ kind: "page-list" }) }],
  [new RegExp(`^/messages/${ID}$`), { GET: (m) => ({ kind: "page-message", id: m[1] }) }],
  [new RegExp(`^/messages/${ID}/html$`), { GET: (m) => ({ kind: "page-html", id: m[1] }) }],
  [new RegExp(`^/messages/${ID}/raw$`), { GET: (m) => ({ kind: "page-raw", id: m[1] }) }],
  [new RegExp(`^/messages/${ID}/attachments/(\\d{1,6})$`), {
    GET: (m) => ({ kind: "page-attachment", id: m[1], index: Number(m[2]) }),
  }],
  [/^\/login$/, { GET: () => ({ kind: "page-login" }), POST: () => ({ kind: "page-login-submit" }) }],
  [/^\/logout$/, { POST: () => ({ kind: "page-logout" }) }],
  [/^\/delete$/, { GET: () => ({ kind: "page-delete-confirm" }), POST: () => ({ kind: "page-delete" }) }],
  [/^\/static\/([a-z_]+\.(?:css|js))$/, { GET: (m) => ({ kind: "static", name: m[1] }) }],
];

/**
 * Routes a request. HEAD goes where GET does. Percent-escapes in an id are
 * decoded; a path that does not decode is not found.
 */
export function route(method: string, pathname: string): Route {
  let path: string;
  try {
    path = decodeURIComponent(pathname.replace(/%2f/gi, "\0"));
  } catch {
    return { kind: "not-found" };
  }
  if (path.includes("\0")) return { kind: "not-found" };
  for (const [pattern, methods] of TABLE) {
    const m = pattern.exec(path);
    if (!m) continue;
    const handler = methods[method === "HEAD" ? "GET" : method];
    return handler ? handler(m) : { kind: "method", allow: Object.keys(methods) };
  }
  return { kind: "not-found" };
}

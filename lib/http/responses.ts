/**
 * The headers every response carries, and the small JSON and error
 * responses of the API.
 *
 * @module
 */

/** The CSP of the API and of anything that is not a page: nothing may load or run. */
export const NONE_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Adds what every response must carry: `X-Content-Type-Options: nosniff`, a
 * Content-Security-Policy (`NONE_CSP` unless it has one), no referrer, and
 * `Cache-Control: no-store` (it is someone's mail) unless it says otherwise.
 */
export function secured(response: Response): Response {
  const h = response.headers;
  h.set("X-Content-Type-Options", "nosniff");
  if (!h.has("Content-Security-Policy")) h.set("Content-Security-Policy", NONE_CSP);
  h.set("Referrer-Policy", "no-referrer");
  if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
  return response;
}

/** A JSON response. */
export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const response = new Response(JSON.stringify(body), { status, headers });
  response.headers.set("Content-Type", "application/json; charset=utf-8");
  return response;
}

/** A JSON error, `{"error": message}`. */
export function jsonError(status: number, message: string, headers: HeadersInit = {}): Response {
  return json({ error: message }, status, headers);
}

/** The API's 401: asks for Basic (RFC 7617) or a Bearer token. */
export function unauthorized(why: "missing" | "invalid" | "locked"): Response {
  const message = why === "missing"
    ? "Authentication required: HTTP Basic with your mail user name and password, or a token from /api/v1/login"
    : why === "locked"
    ? "Too many failed logins: try again later"
    : "Wrong user name, password or token";
  return jsonError(401, message, { "WWW-Authenticate": 'Basic realm="mail", charset="UTF-8"' });
}

/**
 * A `Content-Disposition: attachment` value with the file name in both
 * forms (RFC 6266 §4.3): an ASCII fallback and the UTF-8 `filename*`.
 */
export function attachmentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

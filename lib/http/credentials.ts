/**
 * Reading credentials from HTTP request headers: Basic (RFC 7617), Bearer
 * tokens (RFC 6750 §2.1) and cookies (RFC 6265 §5.4). Pure: no I/O.
 *
 * @module
 */

/** A user name and password from a Basic `Authorization` header. */
export interface BasicCredentials {
  /** The user name as sent. */
  name: string;
  /** The password as sent. */
  password: string;
}

/**
 * The credentials of `Authorization: Basic …` (RFC 7617 §2), decoded as
 * UTF-8, or undefined when the header is absent, of another scheme, or
 * malformed (bad base64, no colon).
 */
export function parseBasic(header: string | null): BasicCredentials | undefined {
  const m = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header ?? "");
  if (!m) return undefined;
  let text: string;
  try {
    const binary = atob(m[1]);
    text = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  return { name: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** The token of `Authorization: Bearer …` (RFC 6750 §2.1), or undefined. */
export function parseBearer(header: string | null): string | undefined {
  return /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header ?? "")?.[1];
}

/** The value of cookie `name` in a `Cookie` header (RFC 6265 §5.4), or undefined. */
export function cookieValue(header: string | null, name: string): string | undefined {
  for (const pair of (header ?? "").split(";")) {
    const eq = pair.indexOf("=");
    if (eq >= 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * A `Set-Cookie` value for the session cookie: `HttpOnly`, `SameSite=Strict`,
 * `Path=/`, and `Secure` when served over TLS (RFC 6265 §4.1). An empty
 * value with `maxAge` 0 removes it.
 */
export function sessionCookie(name: string, value: string, options: { secure: boolean; maxAge: number }): string {
  const secure = options.secure ? "; Secure" : "";
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${options.maxAge}${secure}`;
}

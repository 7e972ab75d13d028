/**
 * The server side of the SASL mechanisms PLAIN (RFC 4616) and LOGIN
 * (draft-murchison-sasl-login), shared by SMTP AUTH (RFC 4954) and POP3
 * AUTH (RFC 5034). Pure: base64 lines in, challenges or credentials out;
 * each protocol words its own replies.
 *
 * @module
 */

/** The mechanisms a server can offer. */
export type SaslMechanism = "PLAIN" | "LOGIN";

/** What one step of an exchange yields. */
export type SaslStep =
  /** Send this base64 challenge and pass the client's next line to `respond`. */
  | { type: "challenge"; challenge: string }
  /** The exchange is complete: check these credentials. */
  | { type: "credentials"; name: string; password: string }
  /** The client sent "*" (RFC 4954 §4, RFC 5034 §4). */
  | { type: "cancelled" }
  /** The client's response is not valid base64 (RFC 4648 §4). */
  | { type: "bad-base64" }
  /** The decoded response is not a valid message of the mechanism; `detail` says why. */
  | { type: "malformed"; detail: string };

/** LOGIN's challenges, "Username:" and "Password:" in base64. */
const USERNAME_CHALLENGE = "VXNlcm5hbWU6";
const PASSWORD_CHALLENGE = "UGFzc3dvcmQ6";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes strict base64 (RFC 4648 §4: padded, no spaces, no line breaks).
 *
 * @returns the bytes, or undefined when `text` is not valid base64
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** Encodes bytes or text (as UTF-8) in base64. */
export function encodeBase64(data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * Decodes a PLAIN message, `[authzid] NUL authcid NUL passwd` in UTF-8
 * (RFC 4616 §2). An authorization identity other than the authentication
 * identity (acting for another user) is not supported.
 */
export function decodePlain(message: Uint8Array): SaslStep {
  const text = decodeUtf8(message);
  if (text === undefined) return { type: "malformed", detail: "not UTF-8" };
  const parts = text.split("\0");
  if (parts.length !== 3) return { type: "malformed", detail: "expected authzid NUL authcid NUL passwd" };
  const [authzid, name, password] = parts;
  if (name === "" || password === "") return { type: "malformed", detail: "empty user name or password" };
  if (authzid !== "" && authzid.toLowerCase() !== name.toLowerCase()) {
    return { type: "malformed", detail: "authorizing as another user is not supported" };
  }
  return { type: "credentials", name, password };
}

/** One server-side SASL exchange, from the AUTH command to the credentials. */
export class SaslExchange {
  #mechanism: SaslMechanism;
  #name: string | undefined;

  /** @param mechanism the mechanism the client chose */
  constructor(mechanism: SaslMechanism) {
    this.#mechanism = mechanism;
  }

  /**
   * Starts the exchange. `initial` is the initial response of the AUTH
   * command, if any; "=" stands for an empty one (RFC 4954 §4).
   */
  start(initial: string | undefined): SaslStep {
    if (initial === undefined) {
      return { type: "challenge", challenge: this.#mechanism === "PLAIN" ? "" : USERNAME_CHALLENGE };
    }
    return this.respond(initial === "=" ? "" : initial);
  }

  /** Takes the client's response to the last challenge: base64, or "*" to cancel. */
  respond(line: string): SaslStep {
    if (line === "*") return { type: "cancelled" };
    const bytes = decodeBase64(line);
    if (bytes === undefined) return { type: "bad-base64" };
    if (this.#mechanism === "PLAIN") return decodePlain(bytes);
    const text = decodeUtf8(bytes);
    if (text === undefined || text === "" || text.includes("\0")) {
      return { type: "malformed", detail: "expected a user name or password in UTF-8" };
    }
    if (this.#name === undefined) {
      this.#name = text;
      return { type: "challenge", challenge: PASSWORD_CHALLENGE };
    }
    return { type: "credentials", name: this.#name, password: text };
  }
}

/**
 * Maps a client's mechanism name to one of `offered`, ignoring case.
 *
 * @returns the mechanism, or undefined when it is not offered
 */
export function findMechanism(name: string, offered: readonly SaslMechanism[]): SaslMechanism | undefined {
  return offered.find((m) => m === name.toUpperCase());
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

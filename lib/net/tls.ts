/**
 * The server side of TLS: the certificate and key files, and the handshake
 * on an accepted socket, for STARTTLS/STLS (RFC 3207, RFC 2595) and for
 * implicit-TLS ports (RFC 8314).
 *
 * @module
 */

import { createPrivateKey, X509Certificate } from "node:crypto";
import type { Duplex } from "node:stream";
import { createServer, type TLSSocket } from "node:tls";

/**
 * The longest a TLS handshake may take: plenty for a real client, and short
 * because a failed handshake is held by Deno's node:tls (about 12 KiB of
 * heap, and the connection's slot when the client just leaves) until this
 * timeout, which node:tls's own default would make 120 s.
 */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Failed handshakes within `HANDSHAKE_TIMEOUT_MS` past which new ones are
 * refused by default: node:tls holds each for that long, so this bounds
 * what a flood of failing handshakes can hold at about 24 MiB of heap.
 */
export const DEFAULT_TLS_FAILURE_LIMIT = 2000;

/** A PEM certificate (chain) and its private key. */
export interface TlsIdentity {
  /** The certificate, then any intermediates, in PEM. */
  cert: string;
  /** The private key in PEM. */
  key: string;
}

/** Where the PEM files are. */
export interface TlsFiles {
  /** The certificate (chain) file. */
  certFile: string;
  /** The private key file. */
  keyFile: string;
}

/**
 * Reads both files and checks that they hold a certificate and the private
 * key that matches it, so a mistake shows at start-up rather than as failed
 * handshakes. A key file that group or others may open is refused, as
 * OpenSSH refuses one: whoever can read it can pose as this server.
 *
 * @throws {Error} saying which file is unreadable or wrong, or the `chmod`
 *   that makes the key private
 */
export async function readTlsIdentity(files: TlsFiles): Promise<TlsIdentity> {
  await checkKeyPrivate(files.keyFile);
  const [cert, key] = await Promise.all([files.certFile, files.keyFile].map((path) => io(path, Deno.readTextFile)));
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw new Error(`Cannot use ${files.certFile}: not a PEM certificate`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new Error(`Cannot use ${files.keyFile}: not a PEM private key`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new Error(`Cannot use ${files.keyFile}: it is not the key of ${files.certFile}`);
  }
  return { cert, key };
}

/**
 * The server's TLS identity, re-read when either file changes, so a renewed
 * certificate is used without a restart; and the count of recent failed
 * handshakes, past whose limit no new one is offered.
 */
export class TlsCredentials {
  #files: TlsFiles;
  #identity: TlsIdentity;
  #stamp: string;
  readonly #failureLimit: number;
  /** When each handshake of the last `HANDSHAKE_TIMEOUT_MS` failed, oldest first. */
  #failures: number[] = [];

  private constructor(files: TlsFiles, identity: TlsIdentity, stamp: string, failureLimit: number) {
    this.#files = files;
    this.#identity = identity;
    this.#stamp = stamp;
    this.#failureLimit = failureLimit;
  }

  /**
   * Loads and checks the files.
   *
   * @param failureLimit failed handshakes within `HANDSHAKE_TIMEOUT_MS` past which `current` refuses
   * @throws {Error} saying which file is unreadable or wrong
   */
  static async load(files: TlsFiles, failureLimit = DEFAULT_TLS_FAILURE_LIMIT): Promise<TlsCredentials> {
    const stamp = await modified(files);
    return new TlsCredentials(files, await readTlsIdentity(files), stamp, failureLimit);
  }

  /** Counts a failed handshake, held by node:tls until `HANDSHAKE_TIMEOUT_MS` after it began. */
  failed(now = Date.now()): void {
    this.#failures.push(now);
  }

  /**
   * The identity to use for a new handshake: the loaded one, or the files'
   * new contents when they changed since.
   *
   * @returns the identity, or why no handshake may start now: too many
   *   failed lately, or the changed files cannot be used (the caller answers
   *   "TLS not available" and logs it; the next call tries again)
   */
  async current(now = Date.now()): Promise<{ identity: TlsIdentity } | { error: string }> {
    const since = now - HANDSHAKE_TIMEOUT_MS;
    const expired = this.#failures.findIndex((time) => time > since);
    this.#failures.splice(0, expired < 0 ? this.#failures.length : expired);
    if (this.#failures.length >= this.#failureLimit) {
      return {
        error: `${this.#failures.length} TLS handshakes failed in the last ${HANDSHAKE_TIMEOUT_MS / 1000} s ` +
          `(--tls-failure-limit ${this.#failureLimit}); none started until fewer have`,
      };
    }
    try {
      const stamp = await modified(this.#files);
      if (stamp !== this.#stamp) {
        this.#identity = await readTlsIdentity(this.#files);
        this.#stamp = stamp;
      }
      return { identity: this.#identity };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }
}

/**
 * The files' modification times, sizes and modes as one string, to notice a
 * change (a `chmod` alone too, which leaves the time as it was).
 */
async function modified(files: TlsFiles): Promise<string> {
  const stats = await Promise.all([files.certFile, files.keyFile].map((path) => io(path, Deno.stat)));
  return stats.map((s) => `${s.mtime?.getTime()}:${s.size}:${s.mode}`).join(",");
}

/**
 * Refuses a private key file with any permission bit for group or others.
 * Where the system keeps no Unix modes (Windows: `mode` is null) there is
 * nothing to check.
 *
 * @throws {Error} naming the file, its mode and the `chmod 600` that fixes it
 */
async function checkKeyPrivate(keyFile: string): Promise<void> {
  const mode = (await io(keyFile, Deno.stat)).mode;
  if (mode === null || (mode & 0o077) === 0) return;
  const octal = (mode & 0o777).toString(8).padStart(4, "0");
  throw new Error(
    `Cannot use ${keyFile}: a private key open to group or others (mode ${octal}); run chmod 600 ${keyFile}`,
  );
}

/** Runs a file operation, turning its failure into "Cannot read PATH: reason". */
async function io<T>(path: string, operation: (path: string) => Promise<T>): Promise<T> {
  try {
    return await operation(path);
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${(error as Error).message.replace(/\s*\(os error \d+\).*$/, "")}`);
  }
}

/**
 * Runs the server side of a TLS handshake on a connected socket. The socket
 * must no longer be read by anyone else. Works on Deno 2.9 by handing the
 * socket to a non-listening `tls.Server` (see DENO.md, "Server-side STARTTLS").
 *
 * @returns the secure socket, or the reason the handshake failed (it failed,
 *   the peer closed, or `timeoutMs` passed); the caller closes the socket then
 */
export function acceptTls(socket: Duplex, identity: TlsIdentity, timeoutMs: number): Promise<TLSSocket | Error> {
  return new Promise((resolve) => {
    const server = createServer({ cert: identity.cert, key: identity.key, handshakeTimeout: timeoutMs });
    const done = (result: TLSSocket | Error) => {
      clearTimeout(timer);
      server.removeAllListeners();
      socket.off("close", closed);
      socket.off("end", closed);
      resolve(result);
    };
    const closed = () => done(new Error("connection closed during the TLS handshake"));
    const timer = setTimeout(() => done(new Error("TLS handshake timed out")), timeoutMs);
    server.on("secureConnection", (secure: TLSSocket) => done(secure));
    server.on("tlsClientError", (error: Error, secure: TLSSocket) => {
      secure.destroy();
      done(error);
    });
    socket.once("close", closed);
    // The servers keep sockets half-open: a client that ends its side without a handshake closes nothing by itself.
    socket.once("end", closed);
    server.emit("connection", socket);
  });
}

/**
 * The one log line of a failed TLS handshake, the same for STARTTLS, STLS
 * and the implicit-TLS ports, written when it fails:
 * `<time> <service> client=<address> TLS handshake failed: <reason>`.
 */
export function tlsFailureLine(service: string, clientAddress: string, reason: string): string {
  return `${new Date().toISOString()} ${service} client=${clientAddress} TLS handshake failed: ${reason}`;
}

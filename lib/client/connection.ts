/**
 * A line connection to a server over `Deno.connect`, upgraded to TLS on
 * request: the only place in the client that touches sockets. The POP3 and
 * SMTP clients work on the `LineTransport` interface, so tests can talk to
 * them in memory.
 *
 * @module
 */

/** A failure the user is told about in one line: unreachable server, lost connection, protocol error. */
export class ClientError extends Error {
  /** @param message one line saying what went wrong */
  constructor(message: string) {
    super(message);
    this.name = "ClientError";
  }
}

/** Lines in, text or bytes out. */
export interface LineTransport {
  /** The address of this end, for the SMTP EHLO greeting (RFC 5321 §4.1.3 address literal). */
  readonly localAddress: string;
  /**
   * Reads one line without its CRLF (or bare LF); `null` once the server closed the connection.
   *
   * @throws {ClientError} when the server stays silent too long or the connection breaks
   */
  readLine(): Promise<Uint8Array | null>;
  /**
   * Sends all of `data`, text as UTF-8.
   *
   * @throws {ClientError} when the connection is broken
   */
  write(data: string | Uint8Array): Promise<void>;
  /**
   * Switches the connection to TLS after the server's go-ahead (STARTTLS,
   * STLS), verifying the server's certificate for the endpoint's host name.
   * Anything the server sent after the go-ahead in plaintext is discarded.
   *
   * @throws {ClientError} when the handshake fails or the certificate does not verify
   */
  startTls(): Promise<void>;
  /** Closes the connection. Safe to call twice. */
  close(): Promise<void>;
}

/** Where a server is, and what to call it in messages. */
export interface Endpoint {
  /** Host name or address. */
  host: string;
  /** TCP port. */
  port: number;
  /** A name for messages, e.g. "POP3 server". */
  name: string;
  /** The protocol spoken there, for a trace (`--trace`) that follows the session. */
  protocol?: "smtp" | "pop3";
}

/** Opens a connection to an endpoint (tests may pass their own). */
export type Connector = (endpoint: Endpoint) => Promise<LineTransport>;

/** How to connect: which certificates to trust, implicit TLS, how long to wait. */
export interface ConnectOptions {
  /** PEM certificates to trust instead of the system's roots (--ca-file); the system's when left out. */
  caCerts?: string[];
  /** Speak TLS from the first byte (RFC 8314 implicit TLS, e.g. port 465 or 995) instead of plain TCP. */
  implicit?: boolean;
  /** How long to wait for the connection, a handshake or a reply line, in ms; 30 s when left out. */
  timeoutMs?: number;
}

/** How long to wait for a connection or for a reply line, unless told otherwise. */
const TIMEOUT_MS = 30_000;
/** The longest line accepted from a server; mail lines are at most 1000 octets (RFC 5322 §2.1.1). */
const MAX_LINE = 1024 * 1024;

/**
 * Returns a connector that connects over TCP and, when asked to start TLS,
 * verifies certificates as `trust` says.
 */
export function tcpConnector(trust: ConnectOptions = {}): Connector {
  const ms = trust.timeoutMs ?? TIMEOUT_MS;
  return async (endpoint) => {
    try {
      if (trust.implicit) {
        const tls = await Deno.connectTls({ hostname: endpoint.host, port: endpoint.port, caCerts: trust.caCerts });
        try {
          await withTimeout(tls.handshake(), ms);
        } catch (error) {
          tls.close();
          throw new Error(tlsReason(error, trust));
        }
        return new TcpTransport(tls, endpoint, trust);
      }
      const conn = await Deno.connect({
        hostname: endpoint.host,
        port: endpoint.port,
        signal: AbortSignal.timeout(ms),
      });
      return new TcpTransport(conn, endpoint, trust);
    } catch (error) {
      throw new ClientError(`Cannot connect to the ${where(endpoint)}: ${reason(error)}`);
    }
  };
}

/** A `LineTransport` over a TCP connection. */
class TcpTransport implements LineTransport {
  readonly localAddress: string;
  /** The plain connection STARTTLS upgrades; undefined under implicit TLS. */
  #tcp: Deno.TcpConn | undefined;
  #conn: Deno.Conn;
  #secure: boolean;
  #trust: ConnectOptions;
  #endpoint: Endpoint;
  #buffer: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  /** Where the unread part of `#buffer` starts. */
  #start = 0;
  #pending: Promise<number | null> | undefined;
  #chunk = new Uint8Array(64 * 1024);
  #eof = false;
  #closed = false;

  constructor(conn: Deno.TcpConn | Deno.TlsConn, endpoint: Endpoint, trust: ConnectOptions) {
    this.#tcp = trust.implicit ? undefined : conn as Deno.TcpConn;
    this.#secure = trust.implicit === true;
    this.#conn = conn;
    this.#trust = trust;
    this.#endpoint = endpoint;
    const local = conn.localAddr.hostname;
    this.localAddress = local.includes(":") ? `[IPv6:${local}]` : `[${local}]`;
  }

  async readLine(): Promise<Uint8Array | null> {
    for (;;) {
      // Lines are taken from an offset, not by slicing the rest off: a long multi-line reply stays linear.
      const lf = this.#buffer.indexOf(0x0a, this.#start);
      if (lf >= 0) {
        // A view, not a copy: `#buffer` is only ever replaced, never written over, so the line stays as it is.
        const line = this.#buffer.subarray(
          this.#start,
          lf > this.#start && this.#buffer[lf - 1] === 0x0d ? lf - 1 : lf,
        );
        this.#start = lf + 1;
        return line;
      }
      if (this.#eof) return null;
      if (this.#buffer.length - this.#start > MAX_LINE) throw this.#error("a reply line is too long");
      await this.#fill();
    }
  }

  async #fill(): Promise<void> {
    this.#pending ??= this.#conn.read(this.#chunk);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ms = this.#trust.timeoutMs ?? TIMEOUT_MS;
    const timeout = new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), ms));
    let n: number | null | "timeout";
    try {
      n = await Promise.race([this.#pending, timeout]);
    } catch (error) {
      this.#pending = undefined;
      throw this.#error(reason(error));
    } finally {
      clearTimeout(timer);
    }
    if (n === "timeout") throw this.#error(`no reply within ${ms / 1000} seconds`);
    this.#pending = undefined;
    if (n === null) this.#eof = true;
    else {
      this.#buffer = concat(this.#buffer.subarray(this.#start), this.#chunk.subarray(0, n));
      this.#start = 0;
    }
  }

  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    try {
      for (let done = 0; done < bytes.length;) done += await this.#conn.write(bytes.subarray(done));
    } catch (error) {
      throw this.#error(reason(error));
    }
  }

  async startTls(): Promise<void> {
    if (this.#secure || this.#pending || this.#tcp === undefined) throw this.#error("cannot start TLS now");
    this.#secure = true;
    // RFC 3207 §4.2 (and its POP3 kin): bytes after the go-ahead are plaintext an attacker may have added.
    this.#buffer = new Uint8Array(0);
    this.#start = 0;
    try {
      const tls = await Deno.startTls(this.#tcp, { hostname: this.#endpoint.host, caCerts: this.#trust.caCerts });
      this.#conn = tls;
      await withTimeout(tls.handshake(), this.#trust.timeoutMs ?? TIMEOUT_MS);
    } catch (error) {
      throw new ClientError(`Cannot start TLS with the ${where(this.#endpoint)}: ${tlsReason(error, this.#trust)}`);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed after a failed write.
    }
    await this.#pending?.catch(() => null);
    this.#pending = undefined;
  }

  #error(what: string): ClientError {
    return new ClientError(`Connection to the ${where(this.#endpoint)} failed: ${what}`);
  }
}

/** Waits for a TLS handshake for at most `ms`. */
async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} seconds`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Why TLS failed, with a hint for a self-signed certificate. */
function tlsReason(error: unknown, trust: ConnectOptions): string {
  const hint = /UnknownIssuer|self[- ]signed/i.test(reason(error)) && trust.caCerts === undefined
    ? " (for a self-signed certificate, give it with --ca-file FILE)"
    : "";
  return `${reason(error)}${hint}`;
}

function where(endpoint: Endpoint): string {
  const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.name} at ${host}:${endpoint.port}`;
}

/** An OS error's message without its "(os error N)" tail. */
function reason(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") return "no answer (timed out)";
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\(os error \d+\)$/, "");
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

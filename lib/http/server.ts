/**
 * The web inbox and JSON API served by `popserver.ts --http PORT`, over the
 * same store and the same logins as POP3 (`Deno.serve`).
 *
 * @module
 */

import type { Authenticator } from "../auth/authenticator.ts";
import type { MailStore } from "../mailbox/store.ts";
import type { TlsCredentials } from "../net/tls.ts";
import { apiCall, apiLogin } from "./api.ts";
import { RequestIdentifier } from "./identify.ts";
import { MailboxView } from "./mailbox_view.ts";
import { jsonError, secured, unauthorized } from "./responses.ts";
import { route } from "./routes.ts";
import { SessionTable } from "./sessions.ts";
import { loginRequired, publicPage, userPage, type WebContext } from "./web.ts";

/** What the HTTP server needs. */
export interface HttpServerOptions {
  /** Address to listen on. */
  host: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** The certificate when served over TLS. */
  tls?: TlsCredentials;
  /** The store. */
  store: MailStore;
  /** The servers' authenticator. */
  auth: Authenticator;
  /** Writes a log line. */
  log(line: string): void;
}

/** A running HTTP server. */
export interface RunningHttpServer {
  /** The URL it serves, e.g. "http://127.0.0.1:8025/". */
  url: string;
  /**
   * Stops it: no new connections, long polls end at once, open requests
   * may finish within `SHUTDOWN_GRACE_MS` (a download to a client that
   * stopped reading must not keep the server from stopping).
   */
  shutdown(): Promise<void>;
}

/** How long a login token (or web session) lasts. */
const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;
/** How long open requests may take to finish when the server stops. */
const SHUTDOWN_GRACE_MS = 5000;
/** Most login tokens held at once. */
const MAX_SESSIONS = 10_000;

/**
 * Starts serving; resolves once it listens.
 *
 * @throws {Deno.errors.AddrInUse} and the like when it cannot listen
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const stopping = new AbortController();
  const sessions = new SessionTable({ lifetimeMs: SESSION_LIFETIME_MS, maxSessions: MAX_SESSIONS });
  const ctx: WebContext = {
    view: new MailboxView(options.store),
    sessions,
    identifier: new RequestIdentifier({ auth: options.auth, sessions }),
    stopping: stopping.signal,
    waits: new Map(),
    secure: options.tls !== undefined,
  };
  const identity = options.tls ? await options.tls.current() : undefined;
  if (identity !== undefined && "error" in identity) throw new Error(identity.error);
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: options.host,
    port: options.port,
    ...(identity ? { cert: identity.identity.cert, key: identity.identity.key } : {}),
    onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
    onError: (error) => {
      options.log(`${new Date().toISOString()} http error: ${String((error as Error)?.stack ?? error)}`);
      return secured(jsonError(500, "Internal error"));
    },
  }, async (request, info) => secured(await handle(request, info.remoteAddr.hostname, ctx)));
  const addr = await listening.promise;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return {
    url: `${options.tls ? "https" : "http"}://${host}:${addr.port}/`,
    shutdown: async () => {
      stopping.abort();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((done) => timer = setTimeout(done, SHUTDOWN_GRACE_MS));
      await Promise.race([server.shutdown(), grace]);
      clearTimeout(timer);
    },
  };
}

/** Routes one request and checks who sends it: the API answers 401 in JSON, a page with the login form. */
async function handle(request: Request, clientAddress: string, ctx: WebContext): Promise<Response> {
  const url = new URL(request.url);
  const target = route(request.method, url.pathname);
  if (target.kind === "not-found") return jsonError(404, "Not found");
  if (target.kind === "method") {
    return jsonError(405, `Use ${target.allow.join(" or ")}`, { Allow: target.allow.join(", ") });
  }
  if (target.kind === "api-login") return await apiLogin(request, clientAddress, ctx);
  if (target.kind.startsWith("api-")) {
    const identity = await ctx.identifier.identify(request, clientAddress);
    if (typeof identity === "string") return unauthorized(identity);
    return await apiCall(target, request, identity, ctx);
  }
  const open = await publicPage(target, request, clientAddress, ctx);
  if (open !== undefined) return open;
  const identity = await ctx.identifier.identify(request, clientAddress);
  return typeof identity === "string" ? loginRequired() : await userPage(target, request, identity, ctx);
}

/**
 * Runs a private Postfix (`private_postfix.ts`) as a relaying client of the
 * server under test: everything it is handed goes to
 * `relayhost = [127.0.0.1]:PORT`, logged in with SASL (Cyrus SASL's PLAIN and
 * LOGIN modules, Debian `libsasl2-modules`). Its configuration, queue, data
 * and log live in one temporary directory; its own smtpd listens on a free
 * loopback port for submitting test mail. No local delivery (an empty
 * `mydestination`), so `@localhost` is relayed too. Needs root, as Postfix
 * does.
 *
 * @module
 */

import { join } from "node:path";
import { POSTFIX_HOSTNAME, startPrivatePostfix } from "./private_postfix.ts";

export { POSTFIX_HOSTNAME };

/** What the private Postfix relays to, and as whom. */
export interface PostfixRelayOptions {
  /** The port on 127.0.0.1 of the server under test, Postfix's relayhost. */
  relayPort: number;
  /** The SASL user name Postfix logs in with. */
  user: string;
  /** Its password. */
  password: string;
  /** More main.cf settings, applied last (e.g. `smtpd_forbid_bare_newline`). */
  settings?: Record<string, string>;
}

/** A running private Postfix. */
export interface Postfix {
  /** Its configuration directory; queue, data and log are inside. */
  dir: string;
  /** The port of its smtpd on 127.0.0.1, for submitting mail. */
  port: number;
  /** Its log (`maillog_file`) so far. */
  log(): Promise<string>;
  /** `postqueue -f`: tries everything queued again now. */
  flush(): Promise<void>;
  /** `postqueue -p`: the listing of its queue ("Mail queue is empty" when it is). */
  queue(): Promise<string>;
}

/**
 * Starts a private Postfix relaying through `options.relayPort`, runs `fn`,
 * then stops Postfix, waits until none of its processes is left (killing
 * stragglers after 10 s) and removes its directory, whatever `fn` did.
 *
 * @throws {Error} with Postfix's output and log when it does not start
 */
export async function withPostfixRelay<T>(
  options: PostfixRelayOptions,
  fn: (postfix: Postfix) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "postfix_" });
  try {
    const relay = `[127.0.0.1]:${options.relayPort}`;
    const postfix = await startPrivatePostfix({
      dir,
      port: freePort(),
      settings: {
        mydestination: "",
        relayhost: relay,
        smtp_host_lookup: "dns, native",
        smtp_sasl_auth_enable: "yes",
        smtp_sasl_password_maps: `hash:${join(dir, "sasl_passwd")}`,
        smtp_sasl_security_options: "noanonymous",
        // A delivery deferred by a passing fault is tried again within seconds, not minutes.
        queue_run_delay: "1s",
        minimal_backoff_time: "1s",
        maximal_backoff_time: "2s",
        ...options.settings,
      },
      maps: { sasl_passwd: `${relay} ${options.user}:${options.password}\n` },
    });
    try {
      return await fn({
        dir,
        port: postfix.port,
        log: postfix.log,
        flush: async () => void await postfix.command("postqueue", ["-f"]),
        queue: () => postfix.command("postqueue", ["-p"]),
      });
    } finally {
      await postfix.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A loopback port that was free a moment ago. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

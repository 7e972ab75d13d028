/**
 * The POP3 server session as a pure state machine (RFC 1939, RFC 2449):
 * lines in, replies and actions out. No sockets, no files.
 *
 * @module
 */

import { parsePop3Command, type Pop3Command } from "./command.ts";
import { Pop3Login, type Pop3Security } from "./login.ts";
import { decimal, err, multiline, ok } from "./reply.ts";
import type { LoginResult, MaildropListing, Pop3State, Pop3Step } from "./session_types.ts";

export type { LoginResult, MaildropListing, Pop3Action, Pop3State, Pop3Step } from "./session_types.ts";

/** A trusted client without TLS: what the session assumes unless told otherwise. */
const LOOPBACK: Pop3Security = { tls: "none", loopback: true, allowPlaintextLogin: false };

/** A POP3 server session for one connection. */
export class Pop3Session {
  /** The current protocol state. */
  state: Pop3State = "authorization";
  #host: string;
  #login: Pop3Login;
  #user = "";
  #maildrop: MaildropListing = { count: 0, totalSize: 0, size: () => 0, id: () => "" };
  #deleted = new Set<number>();
  #deletedSize = 0;

  /**
   * @param host this server's name, for the greeting
   * @param security whether TLS is available and who may log in without it
   */
  constructor(host: string, security: Pop3Security = LOOPBACK) {
    this.#host = host;
    this.#login = new Pop3Login(security);
  }

  /** The user whose maildrop is open, or "" before login. */
  get user(): string {
    return this.#user;
  }

  /** The greeting sent on connect (RFC 1939 §4). */
  greeting(): string {
    return ok(`${this.#host} POP3 server ready`);
  }

  /** Takes one command line; `tooLong` lines get an error and change nothing. */
  receive(line: string, tooLong = false): Pop3Step {
    if (this.#login.waiting) return this.#login.respond(line, tooLong);
    if (tooLong) return reply(err("Line too long"));
    const c = parsePop3Command(line);
    if ("error" in c) {
      return reply(
        err(c.error === "unknown" ? `Unknown command ${c.verb.slice(0, 20).replace(/[^\x21-\x7e]/g, "?")}` : c.detail),
      );
    }
    if (c.verb === "CAPA") {
      const capabilities = this.#login.capabilities(this.state === "authorization");
      return reply(...multiline(ok("Capability list follows"), capabilities));
    }
    if (c.verb === "QUIT") return this.#quit();
    if (c.verb === "NOOP" && this.state === "transaction") return reply(ok(""));
    if (this.state === "authorization") return this.#login.command(c);
    return this.#transaction(c);
  }

  /** Reports whether TLS can start now, for a `starttls` action (see `Pop3Login.tlsReady`). */
  tlsReady(ready: boolean): Pop3Step {
    return this.#login.tlsReady(ready);
  }

  /** Reports the outcome of a `login` action. */
  loggedIn(result: LoginResult): Pop3Step {
    if (!result.ok) {
      const texts = {
        auth: err("[AUTH] Invalid user name or password"),
        locked: err("[SYS/TEMP] Too many failed logins, try again later"),
        "in-use": err("[IN-USE] Maildrop is already locked by another session"),
        temporary: err("[SYS/TEMP] Maildrop cannot be opened now, try again later"),
      };
      return reply(texts[result.reason]);
    }
    this.state = "transaction";
    this.#user = result.user;
    this.#maildrop = result.maildrop;
    return reply(ok(`${result.user}'s maildrop has ${this.#stat()}`));
  }

  /** Reports the outcome of a `commit` action; the connection then closes. */
  committed(result: { ok: boolean }): Pop3Step {
    const left = this.#maildrop.count - this.#deleted.size;
    return result.ok
      ? {
        replies: [ok(`${this.#host} POP3 server signing off (${left} message${left === 1 ? "" : "s"} left)`)],
        close: true,
      }
      : { replies: [err("[SYS/TEMP] Some deleted messages not removed, try again later")], close: true };
  }

  #quit(): Pop3Step {
    if (this.state === "authorization") return { replies: [ok(`${this.#host} POP3 server signing off`)], close: true };
    this.state = "update";
    const remove = new Set([...this.#deleted].map((i) => this.#maildrop.id(i)));
    return { replies: [], action: { type: "commit", remove } };
  }

  #transaction(c: Pop3Command): Pop3Step {
    switch (c.verb) {
      case "STAT": {
        const { count, octets } = this.#totals();
        return reply(ok(`${count} ${octets}`));
      }
      case "LIST":
      case "UIDL":
        return this.#listing(c.verb, c.msg);
      case "RETR":
      case "TOP":
        return this.#retrieve(c.msg, c.verb === "TOP" ? c.lines : undefined);
      case "DELE": {
        const index = this.#lookup(c.msg);
        if (typeof index === "string") return reply(index);
        this.#deleted.add(index);
        this.#deletedSize += this.#maildrop.size(index);
        return reply(ok(`Message ${c.msg} deleted`));
      }
      case "RSET":
        this.#deleted.clear();
        this.#deletedSize = 0;
        return reply(ok(`Maildrop has ${this.#stat()}`));
    }
    return reply(err(`${c.verb} is not allowed after login`));
  }

  /** Messages not marked deleted and their total size. */
  #totals(): { count: number; octets: number } {
    return { count: this.#maildrop.count - this.#deleted.size, octets: this.#maildrop.totalSize - this.#deletedSize };
  }

  #stat(): string {
    const { count, octets } = this.#totals();
    return `${count} message${count === 1 ? "" : "s"} (${octets} octets)`;
  }

  #listing(verb: "LIST" | "UIDL", msg: number | undefined): Pop3Step {
    const field = (i: number) => verb === "LIST" ? decimal(this.#maildrop.size(i)) : this.#maildrop.id(i);
    if (msg !== undefined) {
      const index = this.#lookup(msg);
      return typeof index === "string" ? reply(index) : reply(ok(`${msg} ${field(index)}`));
    }
    const maildrop = this.#maildrop;
    const deleted = new Set(this.#deleted);
    function* lines() {
      for (let i = 0; i < maildrop.count; i++) {
        if (!deleted.has(i)) yield `${decimal(i + 1)} ${field(i)}`;
      }
    }
    return { replies: multiline(ok(verb === "LIST" ? this.#stat() : "Unique-id listing follows"), lines()) };
  }

  #retrieve(msg: number, bodyLines: number | undefined): Pop3Step {
    const index = this.#lookup(msg);
    if (typeof index === "string") return reply(index);
    const first = bodyLines === undefined
      ? ok(`${decimal(this.#maildrop.size(index))} octets`)
      : ok("Top of message follows");
    return { replies: [first], action: { type: "retrieve", index, bodyLines } };
  }

  /** Maps a message number to an index, or to the error reply for it. */
  #lookup(msg: number): number | string {
    if (msg < 1 || msg > this.#maildrop.count) {
      return err(`No such message: ${msg} (maildrop has ${this.#maildrop.count})`);
    }
    if (this.#deleted.has(msg - 1)) return err(`Message ${msg} already deleted`);
    return msg - 1;
  }
}

function reply(...replies: string[]): Pop3Step {
  return { replies };
}

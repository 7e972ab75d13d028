/**
 * The POP3 server session as a pure state machine (RFC 1939, RFC 2449):
 * lines in, replies and actions out. No sockets, no files.
 *
 * @module
 */

import type { MailRecord } from "../mailbox/store.ts";
import { parsePop3Command, type Pop3Command } from "./command.ts";
import { err, multiline, ok } from "./reply.ts";

/** The session's protocol state (RFC 1939 §3). */
export type Pop3State = "authorization" | "transaction" | "update";

/** Something the driver must carry out. */
export type Pop3Action =
  /** Check the password, lock and list the maildrop; report through `loggedIn`. */
  | { type: "login"; user: string; password: string }
  /** Send the record's stored bytes, or with `bodyLines` only the header and that many body lines. */
  | { type: "retrieve"; record: MailRecord; bodyLines?: number }
  /** Remove the records with these ids, release the maildrop; report through `committed`. */
  | { type: "commit"; remove: ReadonlySet<string> };

/** What the driver does after one input line. */
export interface Pop3Step {
  /** Reply lines to send, each without CRLF. */
  replies: string[];
  /** An action to carry out before the next line. */
  action?: Pop3Action;
  /** True when the connection must be closed after the replies. */
  close?: boolean;
}

/** How a login attempt ended. */
export type LoginResult =
  | { ok: true; user: string; messages: MailRecord[] }
  | { ok: false; reason: "auth" | "in-use" | "temporary" };

/** The capabilities announced by CAPA (RFC 2449 §6): exactly what is implemented. */
const CAPABILITIES = ["TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "IMPLEMENTATION smtpmail"];

/** A POP3 server session for one connection. */
export class Pop3Session {
  /** The current protocol state. */
  state: Pop3State = "authorization";
  #host: string;
  #pendingUser: string | undefined;
  #user = "";
  #messages: MailRecord[] = [];
  #deleted = new Set<number>();

  /** @param host this server's name, for the greeting */
  constructor(host: string) {
    this.#host = host;
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
    if (tooLong) return reply(err("Line too long"));
    const c = parsePop3Command(line);
    if ("error" in c) return reply(err(c.error === "unknown" ? `Unknown command ${c.verb.slice(0, 20)}` : c.detail));
    if (c.verb === "CAPA") return reply(...multiline(ok("Capability list follows"), CAPABILITIES));
    if (c.verb === "QUIT") return this.#quit();
    if (c.verb === "NOOP" && this.state === "transaction") return reply(ok(""));
    if (this.state === "authorization") return this.#authorization(c);
    return this.#transaction(c);
  }

  /** Reports the outcome of a `login` action. */
  loggedIn(result: LoginResult): Pop3Step {
    if (!result.ok) {
      const texts = {
        auth: err("[AUTH] Invalid user name or password"),
        "in-use": err("[IN-USE] Maildrop is already locked by another session"),
        temporary: err("[SYS/TEMP] Maildrop cannot be opened now, try again later"),
      };
      return reply(texts[result.reason]);
    }
    this.state = "transaction";
    this.#user = result.user;
    this.#messages = result.messages;
    return reply(ok(`${result.user}'s maildrop has ${this.#stat()}`));
  }

  /** Reports the outcome of a `commit` action; the connection then closes. */
  committed(result: { ok: boolean }): Pop3Step {
    const left = this.#messages.length - this.#deleted.size;
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
    const remove = new Set([...this.#deleted].map((i) => this.#messages[i].id));
    return { replies: [], action: { type: "commit", remove } };
  }

  #authorization(c: Pop3Command): Pop3Step {
    if (c.verb === "USER") {
      this.#pendingUser = c.name;
      return reply(ok("Send your password"));
    }
    if (c.verb === "PASS") {
      const user = this.#pendingUser;
      this.#pendingUser = undefined;
      if (user === undefined) return reply(err("Send USER first"));
      return { replies: [], action: { type: "login", user, password: c.password } };
    }
    return reply(err(`${c.verb} is not allowed before login`));
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
        return reply(ok(`Message ${c.msg} deleted`));
      }
      case "RSET":
        this.#deleted.clear();
        return reply(ok(`Maildrop has ${this.#stat()}`));
    }
    return reply(err(`${c.verb} is not allowed after login`));
  }

  /** Messages not marked deleted and their total size. */
  #totals(): { count: number; octets: number } {
    let count = 0;
    let octets = 0;
    this.#messages.forEach((m, i) => {
      if (this.#deleted.has(i)) return;
      count++;
      octets += m.size;
    });
    return { count, octets };
  }

  #stat(): string {
    const { count, octets } = this.#totals();
    return `${count} message${count === 1 ? "" : "s"} (${octets} octets)`;
  }

  #listing(verb: "LIST" | "UIDL", msg: number | undefined): Pop3Step {
    const field = (m: MailRecord) => verb === "LIST" ? String(m.size) : m.id;
    if (msg !== undefined) {
      const index = this.#lookup(msg);
      return typeof index === "string" ? reply(index) : reply(ok(`${msg} ${field(this.#messages[index])}`));
    }
    const lines: string[] = [];
    this.#messages.forEach((m, i) => {
      if (!this.#deleted.has(i)) lines.push(`${i + 1} ${field(m)}`);
    });
    return reply(...multiline(ok(verb === "LIST" ? this.#stat() : "Unique-id listing follows"), lines));
  }

  #retrieve(msg: number, bodyLines: number | undefined): Pop3Step {
    const index = this.#lookup(msg);
    if (typeof index === "string") return reply(index);
    const record = this.#messages[index];
    const first = bodyLines === undefined ? ok(`${record.size} octets`) : ok("Top of message follows");
    return { replies: [first], action: { type: "retrieve", record, bodyLines } };
  }

  /** Maps a message number to an index, or to the error reply for it. */
  #lookup(msg: number): number | string {
    if (msg < 1 || msg > this.#messages.length) {
      return err(`No such message: ${msg} (maildrop has ${this.#messages.length})`);
    }
    if (this.#deleted.has(msg - 1)) return err(`Message ${msg} already deleted`);
    return msg - 1;
  }
}

function reply(...replies: string[]): Pop3Step {
  return { replies };
}

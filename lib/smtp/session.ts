/**
 * The SMTP server session as a pure state machine (RFC 5321): lines in,
 * replies and actions out. No sockets, no files.
 *
 * @module
 */

import type { Delivery } from "../mailbox/store.ts";
import { buildRecord } from "../mailbox/record.ts";
import type { Line } from "../net/line_splitter.ts";
import type { Mailbox } from "./address.ts";
import { type Command, type Params, parseCommand } from "./command.ts";
import { DataDecoder } from "./data_decoder.ts";
import { plainReply, Replies, type Reply, reply } from "./reply.ts";
import { newMessageId, traceLine } from "./trace.ts";

/** The session's protocol state (RFC 5321 §4.1.4). */
export type SmtpState = "greet" | "ready" | "mail" | "rcpt" | "data";

/** Limits a session enforces. */
export interface SmtpLimits {
  /** Largest message in octets, advertised by SIZE (RFC 1870). */
  maxMessageSize: number;
  /** Most recipients per message (RFC 5321 §4.5.3.1.8 asks for at least 100). */
  maxRecipients: number;
  /** Error replies after which the session is closed. */
  maxErrors: number;
  /** Longest text line in a message, CRLF included (RFC 5321 §4.5.3.1.6: 1000). */
  maxLine: number;
}

/** Everything a session needs to know about its server and client. */
export interface SmtpSessionOptions {
  /** This server's host name, used in the greeting and trace lines. */
  host: string;
  /** The client's IP address. */
  clientAddress: string;
  /** Returns the canonical user name for a local part, if such a user exists. */
  findUser(localPart: string): string | undefined;
  /** True when mail for this domain is ours to deliver. */
  isLocalDomain(domain: string): boolean;
  /** The canonical user who receives mail for "postmaster" (RFC 5321 §4.5.1). */
  postmaster: string;
  /** Limits for this session. */
  limits: SmtpLimits;
  /** Clock, for tests. */
  now?: () => Date;
  /** Message id source, for tests. */
  newId?: () => string;
}

/** One line of the per-message log. */
export interface MessageLog {
  /** The message's id, or "-" when it never got one. */
  id: string;
  /** The client's IP address. */
  client: string;
  /** Envelope sender; "<>" for the null path. */
  sender: string;
  /** Envelope recipients as given. */
  recipients: string[];
  /** Message size in octets. */
  size: number;
  /** What happened, e.g. "stored" or "rejected: too big". */
  outcome: string;
}

/** Something the driver must carry out and report back through `complete`. */
export type SmtpAction = { type: "deliver"; delivery: Delivery; log: MessageLog };

/** What the driver does after one input line. */
export interface Step {
  /** Replies to send, in order. */
  replies: Reply[];
  /** An action to carry out before the next line. */
  action?: SmtpAction;
  /** A finished message to log. */
  log?: MessageLog;
  /** True when the connection must be closed after the replies. */
  close?: boolean;
}

const NOTHING: Step = { replies: [] };
const decoder = new TextDecoder();

/** An SMTP server session for one connection. */
export class SmtpSession {
  /** The current protocol state. */
  state: SmtpState = "greet";
  #options: SmtpSessionOptions;
  #helo = "";
  #protocol: "SMTP" | "ESMTP" = "SMTP";
  #sender: Mailbox | null = null;
  #recipients: string[] = [];
  #users = new Set<string>();
  #data: DataDecoder | undefined;
  #errors = 0;
  #smtputf8 = false;

  /** Creates a session; call `greeting` first. */
  constructor(options: SmtpSessionOptions) {
    this.#options = options;
  }

  /** The 220 greeting sent on connect (RFC 5321 §4.3.1). */
  greeting(): Reply {
    return plainReply(220, `${this.#options.host} ESMTP smtpmail ready`);
  }

  /**
   * Takes one command line. Not allowed in "data": use `receiveData`.
   *
   * @throws {TypeError} when called in the "data" state
   */
  receive(line: Line): Step {
    if (this.state === "data") throw new TypeError("Cannot take a command line during DATA");
    if (line.tooLong) return this.#fail(Replies.lineTooLong());
    const parsed = parseCommand(decoder.decode(line.bytes));
    if ("error" in parsed) {
      if (parsed.error === "unknown") return this.#fail(Replies.unknownCommand());
      if (parsed.error === "unimplemented") return this.#fail(Replies.notImplemented());
      return this.#fail(Replies.syntax(parsed.detail));
    }
    if (!ALLOWED[parsed.verb].includes(this.state)) return this.#fail(outOfSequence(parsed.verb, this.state));
    return this.#dispatch(parsed);
  }

  #dispatch(c: Command): Step {
    switch (c.verb) {
      case "EHLO":
      case "HELO":
        return this.#hello(c.verb, c.domain);
      case "MAIL":
        return this.#mail(c.from, c.params);
      case "RCPT":
        return this.#rcpt(c.to, c.params);
      case "DATA":
        return this.#startData();
      case "RSET":
        this.#reset();
        return { replies: [Replies.ok()] };
      case "QUIT":
        return { replies: [reply(221, "0.0", `${this.#options.host} closing connection`)], close: true };
      case "NOOP":
        return { replies: [Replies.ok()] };
      case "HELP":
        return { replies: [reply(214, "0.0", ...HELP_LINES)] };
      case "VRFY":
        return { replies: [reply(252, "5.0", "Cannot VRFY user, but will accept message for local users")] };
    }
  }

  /** Reports the outcome of the last `deliver` action and returns the reply. */
  complete(result: { ok: true } | { ok: false; error: string }, log: MessageLog): Step {
    if (result.ok) {
      return { replies: [reply(250, "0.0", `OK queued as ${log.id}`)], log: { ...log, outcome: "stored" } };
    }
    return { replies: [Replies.localError()], log: { ...log, outcome: `failed: ${result.error}` } };
  }

  /** Counts an error reply; past the limit the session ends with 421. */
  #fail(r: Reply): Step {
    this.#errors++;
    if (this.#errors >= this.#options.limits.maxErrors) {
      return { replies: [r, Replies.tooManyErrors()], close: true };
    }
    return { replies: [r] };
  }

  #reset(): void {
    this.#sender = null;
    this.#recipients = [];
    this.#users = new Set();
    this.#data = undefined;
    if (this.state !== "greet") this.state = "ready";
  }

  /** EHLO and HELO (RFC 5321 §4.1.1.1): reset the transaction, list extensions. */
  #hello(verb: "EHLO" | "HELO", domain: string): Step {
    this.#reset();
    this.state = "ready";
    this.#helo = domain;
    this.#protocol = verb === "EHLO" ? "ESMTP" : "SMTP";
    const greet = `${this.#options.host} greets ${domain}`;
    if (verb === "HELO") return { replies: [plainReply(250, greet)] };
    const size = this.#options.limits.maxMessageSize;
    const lines = [greet, "PIPELINING", "8BITMIME", `SIZE ${size}`, "ENHANCEDSTATUSCODES", "SMTPUTF8", "HELP"];
    return { replies: [plainReply(250, ...lines)] };
  }

  /** MAIL FROM (RFC 5321 §4.1.1.2); any sender, the null path included. */
  #mail(from: Mailbox | null, params: Params): Step {
    const problem = checkMailParams(params, this.#options.limits.maxMessageSize);
    if (problem) return this.#fail(problem);
    if (from?.utf8 && !params.has("SMTPUTF8")) return this.#fail(NEEDS_SMTPUTF8);
    this.#sender = from;
    this.#smtputf8 = params.has("SMTPUTF8");
    this.state = "mail";
    return { replies: [reply(250, "1.0", "Sender OK")] };
  }

  /** RCPT TO (RFC 5321 §4.1.1.3): local users and postmaster only, never relay. */
  #rcpt(to: Mailbox, params: Params): Step {
    if (params.size > 0) return this.#fail(reply(555, "5.4", "RCPT parameters not supported"));
    if (to.utf8 && !this.#smtputf8) return this.#fail(NEEDS_SMTPUTF8);
    const isPostmaster = to.local.toLowerCase() === "postmaster";
    if (!(isPostmaster && to.domain === "") && !this.#options.isLocalDomain(to.domain)) {
      return this.#fail(reply(550, "7.1", "Relaying denied: not a local domain"));
    }
    const user = isPostmaster ? this.#options.postmaster : this.#options.findUser(to.local);
    if (user === undefined) return this.#fail(reply(550, "1.1", "No such user here"));
    if (this.#recipients.length >= this.#options.limits.maxRecipients) {
      return { replies: [reply(452, "5.3", "Too many recipients")] };
    }
    this.#recipients.push(formatMailbox(to));
    this.#users.add(user);
    this.state = "rcpt";
    return { replies: [reply(250, "1.5", "Recipient OK")] };
  }

  /** DATA (RFC 5321 §4.1.1.4): switch to reading the message. */
  #startData(): Step {
    const { maxMessageSize, maxLine } = this.#options.limits;
    this.#data = new DataDecoder({ maxSize: maxMessageSize, maxLine });
    this.state = "data";
    return { replies: [plainReply(354, "End data with <CR><LF>.<CR><LF>")] };
  }

  /**
   * Takes received bytes in the "data" state. `used` says how many belong
   * to the message; the rest (pipelined commands) goes to `receive`.
   */
  receiveData(bytes: Uint8Array): { used: number; step: Step } {
    const { used, done } = this.#data!.push(bytes);
    return { used, step: done ? this.#endData() : NOTHING };
  }

  #endData(): Step {
    const message = this.#data!.result();
    const log: MessageLog = {
      id: "-",
      client: this.#options.clientAddress,
      sender: this.#sender === null ? "<>" : formatMailbox(this.#sender),
      recipients: this.#recipients,
      size: message.size,
      outcome: "",
    };
    const users = [...this.#users];
    this.#reset();
    if (message.problem === "size") {
      const r = reply(552, "3.4", `Message exceeds the size limit of ${this.#options.limits.maxMessageSize} octets`);
      return { replies: [r], log: { ...log, outcome: "rejected: too big" } };
    }
    if (message.problem === "line") {
      const r = reply(500, "5.0", `Message has a line longer than ${this.#options.limits.maxLine} octets`);
      return { replies: [r], log: { ...log, outcome: "rejected: line too long" } };
    }
    const date = this.#options.now?.() ?? new Date();
    log.id = this.#options.newId?.() ?? newMessageId(date);
    const trace = traceLine({
      helo: this.#helo,
      clientAddress: this.#options.clientAddress,
      host: this.#options.host,
      protocol: this.#protocol,
      id: log.id,
      date,
    });
    const delivery = { users, record: buildRecord(message.chunks, trace) };
    return { replies: [], action: { type: "deliver", delivery, log } };
  }
}

function formatMailbox(m: Mailbox): string {
  return m.domain === "" ? m.local : `${m.local}@${m.domain}`;
}

/** Checks MAIL parameters: SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531). */
function checkMailParams(params: Params, maxSize: number): Reply | undefined {
  for (const [key, value] of params) {
    if (key === "SIZE") {
      if (value === true || !/^\d{1,20}$/.test(value)) return reply(501, "5.4", "Bad SIZE value");
      if (Number(value) > maxSize) return reply(552, "3.4", `Message size exceeds the limit of ${maxSize} octets`);
    } else if (key === "BODY") {
      if (value !== "7BIT" && value !== "8BITMIME") return reply(555, "5.4", "BODY must be 7BIT or 8BITMIME");
    } else if (key !== "SMTPUTF8" || value !== true) {
      return reply(555, "5.4", `Unsupported MAIL parameter ${key}`);
    }
  }
  return undefined;
}

function outOfSequence(verb: string, state: SmtpState): Reply {
  if (state === "greet") return Replies.badSequence("send HELO or EHLO first");
  if (verb === "MAIL") return Replies.badSequence("sender already given");
  if (verb === "DATA" && state === "mail") return Replies.badSequence("no valid recipients");
  return Replies.badSequence("need MAIL before RCPT");
}

const ANY: readonly SmtpState[] = ["greet", "ready", "mail", "rcpt"];

const HELP_LINES = ["Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP", "End of HELP"];

const NEEDS_SMTPUTF8 = reply(553, "6.7", "Non-ASCII address needs the SMTPUTF8 parameter");

/** The states in which each verb is allowed; any other state gets 503. */
const ALLOWED: Record<Command["verb"], readonly SmtpState[]> = {
  EHLO: ANY,
  HELO: ANY,
  MAIL: ["ready"],
  RCPT: ["mail", "rcpt"],
  DATA: ["rcpt"],
  RSET: ANY,
  QUIT: ANY,
  NOOP: ANY,
  HELP: ANY,
  VRFY: ANY,
};

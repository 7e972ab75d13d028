/**
 * The SMTP server session as a pure state machine (RFC 5321): lines in,
 * replies and actions out. No sockets, no files.
 *
 * @module
 */

import type { LoginOutcome } from "../auth/authenticator.ts";
import { buildRecord } from "../mailbox/record.ts";
import type { Line } from "../net/line_splitter.ts";
import { formatMailbox, type Mailbox } from "./address.ts";
import { AUTH_MECHANISMS, type AuthMove, SmtpAuth } from "./auth.ts";
import { type Command, type Params, parseCommand } from "./command.ts";
import { DataDecoder, type DecodedMessage } from "./data_decoder.ts";
import { plainReply, Replies, type Reply, reply } from "./reply.ts";
import {
  ALLOWED,
  checkMailParams,
  ehloKeywords,
  HELP_LINES,
  outOfSequence,
  type SmtpState,
  unavailable,
} from "./rules.ts";
import { DISPLAY_NAME_SHOWS_ADDRESS, fromHeaderAddress, isOwnAddress, NO_FROM } from "./sender_policy.ts";
import type { MessageLog, SmtpSessionOptions, Step } from "./session_types.ts";
import { newMessageId, traceLine, withKeyword } from "./trace.ts";

export type { MessageLog, SmtpAction, SmtpLimits, SmtpSessionOptions, SmtpState, Step } from "./session_types.ts";

const NOTHING: Step = { replies: [] };
const decoder = new TextDecoder();

/** An SMTP server session for one connection. */
export class SmtpSession {
  /** The current protocol state. */
  state: SmtpState = "greet";
  #options: SmtpSessionOptions;
  #tls: SmtpSessionOptions["tls"];
  #auth = new SmtpAuth();
  #helo = "";
  #extended = false;
  #sender: Mailbox | null = null;
  #recipients: string[] = [];
  #users = new Set<string>();
  #data: DataDecoder | undefined;
  #errors = 0;
  #smtputf8 = false;

  /** Creates a session; call `greeting` first. */
  constructor(options: SmtpSessionOptions) {
    this.#options = options;
    this.#tls = options.tls;
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
    if (this.state === "auth") {
      if (!line.tooLong) return this.#authMove(this.#auth.respond(decoder.decode(line.bytes)));
      this.#auth.reset();
      this.state = "ready";
      return this.#fail(Replies.authLineTooLong());
    }
    if (line.tooLong) return this.#fail(Replies.lineTooLong());
    const parsed = parseCommand(decoder.decode(line.bytes));
    if ("error" in parsed) {
      if (parsed.error === "unknown") return this.#fail(Replies.unknownCommand());
      if (parsed.error === "unimplemented") return this.#fail(Replies.notImplemented());
      return this.#fail(Replies.syntax(parsed.detail));
    }
    const offers = { tls: this.#tls, auth: this.#authOffered(), authenticated: this.#auth.user !== undefined };
    const refused = unavailable(parsed, offers) ??
      (ALLOWED[parsed.verb].includes(this.state) ? undefined : outOfSequence(parsed.verb, this.state));
    return refused ? this.#fail(refused) : this.#dispatch(parsed);
  }

  /** RFC 4954 §4 and RFC 8314 §3: passwords only through TLS, or from a trusted client. */
  #authOffered(): boolean {
    return this.#tls === "active" || this.#options.loopback || this.#options.allowPlaintextLogin;
  }

  #dispatch(c: Command): Step {
    switch (c.verb) {
      case "EHLO":
      case "HELO":
        return this.#hello(c.verb, c.domain);
      case "MAIL":
        return this.#logRefusal(this.#mail(c.from, c.params), "MAIL", c.from, []);
      case "RCPT":
        return this.#logRefusal(this.#rcpt(c.to, c.params), "RCPT", this.#sender, [formatMailbox(c.to)]);
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
      case "STARTTLS":
        return { replies: [], action: { type: "starttls" } };
      case "AUTH":
        return this.#authMove(this.#auth.start(c.mechanism, c.initial));
    }
  }

  /**
   * Reports whether TLS can start now (RFC 3207 §4): if so the reply is the
   * go-ahead, after which the driver runs the handshake and the session
   * starts afresh under TLS, knowing nothing from before; if not, 454.
   */
  tlsReady(ok: boolean): Step {
    if (!ok) return { replies: [reply(454, "7.0", "TLS not available due to temporary reason")] };
    this.#reset();
    this.state = "greet";
    this.#helo = "";
    this.#extended = false;
    this.#auth.reset();
    this.#tls = "active";
    return { replies: [reply(220, "0.0", "Ready to start TLS")] };
  }

  /**
   * Ends the session after the client sent far more than a line's limit
   * without a line end, of which the driver reads no more: the refusal an
   * over-long line gets in this state, then 421. A message cut short is
   * logged; nothing of it is stored.
   */
  overflow(): Step {
    const refusal = this.state === "data"
      ? Replies.messageLineTooLong(this.#options.limits.maxLine)
      : this.state === "auth"
      ? Replies.authLineTooLong()
      : Replies.lineTooLong();
    const { log } = this.abandon("line too long");
    return { replies: [refusal, Replies.lineOverflow(this.#options.host)], log, close: true };
  }

  /** Reports the outcome of an `authenticate` action and returns the reply. */
  authenticated(outcome: LoginOutcome): Step {
    this.state = "ready";
    const r = this.#auth.finish(outcome);
    if (outcome.ok) return { replies: [r] };
    const max = this.#options.limits.maxFailedLogins;
    if (max !== undefined && this.#auth.failures >= max) return { replies: [r, TOO_MANY_LOGINS], close: true };
    return this.#fail(r);
  }

  #authMove(move: AuthMove): Step {
    if ("credentials" in move) {
      const { name, password } = move.credentials;
      return { replies: [], action: { type: "authenticate", name, password, sessionFailures: this.#auth.failures } };
    }
    this.state = move.pending ? "auth" : "ready";
    return move.pending ? { replies: [move.reply] } : this.#fail(move.reply);
  }

  /**
   * Reports the outcome of the last `deliver` action and returns the reply:
   * 452 4.2.2 when a recipient's mailbox is over its quota (RFC 3463), with
   * that user in the log; 452 4.3.1 when the storage is full.
   */
  complete(
    result: { ok: true } | { ok: false; error: string; overQuota?: string; full?: boolean },
    log: MessageLog,
  ): Step {
    if (result.ok) {
      return { replies: [reply(250, "0.0", `OK queued as ${log.id}`)], log: { ...log, outcome: "stored" } };
    }
    if (result.overQuota !== undefined) {
      const outcome = `rejected: over quota (${result.overQuota})`;
      return { replies: [reply(452, "2.2", "Mailbox full, try again later")], log: { ...log, outcome } };
    }
    const r = result.full ? reply(452, "3.1", "Insufficient system storage, try again later") : Replies.localError();
    return { replies: [r], log: { ...log, outcome: `failed: ${result.error}` } };
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
    this.#extended = verb === "EHLO";
    const greet = `${this.#options.host} greets ${domain}`;
    if (verb === "HELO") return { replies: [plainReply(250, greet)] };
    const keywords = ehloKeywords({
      maxMessageSize: this.#options.limits.maxMessageSize,
      starttls: this.#tls === "available",
      auth: this.#authOffered() ? AUTH_MECHANISMS : [],
    });
    return { replies: [plainReply(250, greet, ...keywords)] };
  }

  /** Adds a log line to a step that refused MAIL or RCPT, naming the client, the envelope and the reply. */
  #logRefusal(step: Step, verb: "MAIL" | "RCPT", sender: Mailbox | null, recipients: string[]): Step {
    const refusal = step.replies[0];
    if (refusal === undefined || refusal.code < 400) return step;
    const status = refusal.status === undefined ? "" : ` ${Math.floor(refusal.code / 100)}.${refusal.status}`;
    const log: MessageLog = {
      id: "-",
      client: this.#options.clientAddress,
      sender: sender === null ? "<>" : formatMailbox(sender),
      recipients,
      size: 0,
      outcome: `refused at ${verb}: ${refusal.code}${status}`,
      user: this.#auth.user,
    };
    return { ...step, log };
  }

  /**
   * MAIL FROM (RFC 5321 §4.1.1.2): any sender, the null path included; after
   * AUTH the user's own address or the null path, which is always accepted
   * (RFC 5321 §4.5.5, §6.1): bounces and DSNs relayed by an authenticated
   * MTA must get through.
   */
  #mail(from: Mailbox | null, params: Params): Step {
    const problem = checkMailParams(params, this.#options.limits.maxMessageSize);
    if (problem) return this.#fail(problem);
    if (from?.utf8 && !params.has("SMTPUTF8")) return this.#fail(NEEDS_SMTPUTF8);
    const user = this.#auth.user;
    if (user !== undefined && from !== null && !isOwnAddress(user, from, this.#options.isLocalDomain)) {
      return this.#fail(Replies.notOwnSender(user, "Sender"));
    }
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

  /**
   * Ends the transaction because the connection ended, timed out or the
   * server is stopping (`why`): a message cut short in DATA is logged, and
   * nothing of it is stored.
   */
  abandon(why: string): Step {
    if (this.state !== "data") return NOTHING;
    const log = this.#messageLog(this.#data!.size, `aborted: ${why}`);
    this.#reset();
    return { replies: [], log };
  }

  /** The log of the current message, without its id until it gets one. */
  #messageLog(size: number, outcome: string): MessageLog {
    return {
      id: "-",
      client: this.#options.clientAddress,
      sender: this.#sender === null ? "<>" : formatMailbox(this.#sender),
      recipients: this.#recipients,
      size,
      outcome,
      user: this.#auth.user,
    };
  }

  #endData(): Step {
    const message = this.#data!.result();
    const log = this.#messageLog(message.size, "");
    const users = [...this.#users];
    const nullSender = this.#sender === null;
    this.#reset();
    const refusal = this.#refuseMessage(message, nullSender);
    if (refusal) return { replies: [refusal.reply], log: { ...log, outcome: `rejected: ${refusal.why}` } };
    const date = this.#options.now?.() ?? new Date();
    log.id = this.#options.newId?.() ?? newMessageId(date);
    const trace = traceLine({
      helo: this.#helo,
      clientAddress: this.#options.clientAddress,
      host: this.#options.host,
      protocol: withKeyword({
        extended: this.#extended,
        tls: this.#tls === "active",
        authenticated: this.#auth.user !== undefined,
        smtputf8: this.#smtputf8,
      }),
      id: log.id,
      date,
    });
    const delivery = { users, record: buildRecord(message.chunks, trace), quota: this.#options.limits.quota };
    return { replies: [], action: { type: "deliver", delivery, log } };
  }

  /**
   * Why a complete message must not be stored: a limit broken, or (after
   * AUTH) a From: that is missing or not the user's; with the null
   * reverse-path, a From: naming another local user.
   */
  #refuseMessage(message: DecodedMessage, nullSender: boolean): { reply: Reply; why: string } | undefined {
    const { maxMessageSize, maxLine } = this.#options.limits;
    if (message.problem === "size") {
      return { reply: reply(552, "3.4", `Message exceeds the size limit of ${maxMessageSize} octets`), why: "too big" };
    }
    if (message.problem === "line") {
      return { reply: Replies.messageLineTooLong(maxLine), why: "line too long" };
    }
    const { quota } = this.#options.limits;
    if (quota !== undefined && message.size > quota) {
      return { reply: reply(552, "2.2", `Message exceeds the mailbox quota of ${quota} octets`), why: "over quota" };
    }
    const user = this.#auth.user;
    if (user === undefined) return undefined;
    const from = fromHeaderAddress(message.chunks);
    if (typeof from !== "string" && isOwnAddress(user, from, this.#options.isLocalDomain)) return undefined;
    if (from === DISPLAY_NAME_SHOWS_ADDRESS) {
      return { reply: Replies.notOwnSender(user, "From: display name"), why: from };
    }
    if (from === NO_FROM) {
      return { reply: reply(550, "7.1", `Message has no From: header; add one with your own address`), why: from };
    }
    // A bounce (null reverse-path) carries its reporting MTA's From:, which may be anyone but another local user.
    if (nullSender && typeof from !== "string" && !this.#isOtherLocalUser(user, from)) return undefined;
    return { reply: Replies.notOwnSender(user, "From: header"), why: "From: header not the user's" };
  }

  /** True when `mailbox` is at a local domain and names a user (postmaster included) other than `user`. */
  #isOtherLocalUser(user: string, mailbox: Mailbox): boolean {
    if (!this.#options.isLocalDomain(mailbox.domain)) return false;
    const local = mailbox.local.toLowerCase();
    const named = local === "postmaster" ? this.#options.postmaster : this.#options.findUser(local);
    return named !== undefined && named !== user;
  }
}

const TOO_MANY_LOGINS = reply(421, "7.0", "Too many failed logins, closing connection");
const NEEDS_SMTPUTF8 = reply(553, "6.7", "Non-ASCII address needs the SMTPUTF8 parameter");

/**
 * A small SMTP client (RFC 5321) over a `LineTransport`: sends one typed
 * mail with EHLO (HELO if refused), MAIL, RCPT, DATA and QUIT, using the
 * extensions STARTTLS, AUTH PLAIN, SIZE, 8BITMIME and SMTPUTF8 as the
 * server announces them.
 *
 * @module
 */

import { encodeBase64 } from "../sasl.ts";
import { composeMessage, dotStuff, newMessageId } from "./compose.ts";
import { ClientError, type LineTransport } from "./connection.ts";
import type { TypedMail } from "./mail_format.ts";

/** One whole reply (RFC 5321 §4.2). */
export interface SmtpReply {
  /** The three-digit code. */
  code: number;
  /** Every line as received, e.g. ["550 5.1.1 No such user here"]. */
  lines: string[];
}

/** How sending ended: accepted, or refused with the reply that refused it. */
export type SendResult = { ok: true; reply: SmtpReply } | { ok: false; reply: SmtpReply };

/** Options of `sendMail`. */
export interface SendOptions {
  /** The Date field's time; now when left out. */
  now?: Date;
  /** Minutes east of UTC for the Date field; the local offset when left out. */
  utcOffsetMinutes?: number;
  /** The Message-ID; a new one at the sender's domain when left out. */
  messageId?: string;
  /** Who to authenticate as (AUTH PLAIN, RFC 4954) when the server offers it. */
  credentials?: { user: string; password: string };
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Sends `mail` to its one recipient and ends the session with QUIT.
 *
 * @returns the reply to the end of DATA, or the first reply that refused the mail
 * @throws {ClientError} when the connection fails or the server breaks the protocol
 */
export async function sendMail(
  transport: LineTransport,
  mail: TypedMail,
  options: SendOptions = {},
): Promise<SendResult> {
  const smtp = new SmtpConversation(transport);
  try {
    const greeting = await smtp.reply();
    if (greeting.code !== 220) return await smtp.refused(greeting);
    const hello = await smtp.secureHello(transport.localAddress);
    if (hello.code !== 250) return await smtp.refused(hello);
    const features = extensions(hello);
    if (options.credentials && features.get("AUTH")?.includes("PLAIN")) {
      const auth = await smtp.authPlain(options.credentials.user, options.credentials.password);
      // 235 is the success code (RFC 4954 §6); test sinks such as Postfix's smtp-sink answer 250.
      if (auth.code < 200 || auth.code > 299) return await smtp.refused(auth);
    }
    const { data, params } = prepare(mail, features, options);
    const sender = await smtp.command(`MAIL FROM:<${mail.from}>${params}`);
    if (sender.code !== 250) return await smtp.refused(sender);
    const recipient = await smtp.command(`RCPT TO:<${mail.to}>`);
    if (recipient.code !== 250 && recipient.code !== 251) return await smtp.refused(recipient);
    const go = await smtp.command("DATA");
    if (go.code !== 354) return await smtp.refused(go);
    await transport.write(data);
    const done = await smtp.reply();
    await smtp.quit();
    return done.code === 250 ? { ok: true, reply: done } : { ok: false, reply: done };
  } finally {
    await transport.close();
  }
}

/** Composes the message for a server with these extensions: its DATA and the MAIL parameters it needs. */
function prepare(
  mail: TypedMail,
  features: Map<string, string[]>,
  options: SendOptions,
): { data: string; params: string } {
  const date = options.now ?? new Date();
  const message = composeMessage(mail, {
    date,
    utcOffsetMinutes: options.utcOffsetMinutes,
    messageId: options.messageId ?? newMessageId(mail.from.slice(mail.from.lastIndexOf("@") + 1), date),
    features: { smtputf8: features.has("SMTPUTF8"), eightBitMime: features.has("8BITMIME") },
  });
  const data = dotStuff(message.lines);
  const params = [
    // RFC 1870 §6.1: the size of the message, a fair estimate being the DATA octets.
    features.has("SIZE") ? ` SIZE=${encoder.encode(data).length}` : "",
    message.eightBit && features.has("8BITMIME") ? " BODY=8BITMIME" : "",
    message.smtputf8 ? " SMTPUTF8" : "",
  ].join("");
  return { data, params };
}

/** The extension keywords of an EHLO reply (RFC 5321 §4.1.1.1), upper case, with their parameters. */
function extensions(reply: SmtpReply): Map<string, string[]> {
  return new Map(
    reply.lines.slice(1).map((line) => {
      const [keyword, ...params] = line.slice(4).split(" ");
      return [keyword.toUpperCase(), params.map((p) => p.toUpperCase())];
    }),
  );
}

/** Reading replies and sending commands on one connection. */
class SmtpConversation {
  #transport: LineTransport;

  constructor(transport: LineTransport) {
    this.#transport = transport;
  }

  /** Reads one reply, all its lines. */
  async reply(): Promise<SmtpReply> {
    const lines: string[] = [];
    for (;;) {
      const bytes = await this.#transport.readLine();
      if (bytes === null) throw new ClientError("The SMTP server closed the connection");
      const line = decoder.decode(bytes);
      if (!/^\d{3}([ -]|$)/.test(line)) throw new ClientError(`The SMTP server sent a bad reply: ${line}`);
      lines.push(line);
      if (line[3] !== "-") return { code: Number(line.slice(0, 3)), lines };
    }
  }

  /** Sends one command line and reads its reply. */
  async command(line: string): Promise<SmtpReply> {
    await this.#transport.write(`${line}\r\n`);
    return await this.reply();
  }

  /** EHLO, and HELO when the server does not know EHLO (RFC 5321 §3.2). */
  async hello(name: string): Promise<SmtpReply> {
    const ehlo = await this.command(`EHLO ${name}`);
    if (ehlo.code === 250 || ehlo.code < 500) return ehlo;
    return await this.command(`HELO ${name}`);
  }

  /**
   * `hello`, then STARTTLS and EHLO again under TLS when the server offers
   * it (RFC 3207 §4.2: what the server said before TLS no longer counts).
   *
   * @throws {ClientError} when the server refuses STARTTLS it offered, or TLS fails
   */
  async secureHello(name: string): Promise<SmtpReply> {
    const hello = await this.hello(name);
    if (hello.code !== 250 || !extensions(hello).has("STARTTLS")) return hello;
    const go = await this.command("STARTTLS");
    if (go.code !== 220) throw new ClientError(`The SMTP server refused STARTTLS: ${go.lines.join(" ")}`);
    await this.#transport.startTls();
    return await this.hello(name);
  }

  /**
   * AUTH PLAIN with an initial response (RFC 4954 §4, RFC 4616). A server
   * that asks for more gets "*", which cancels the exchange.
   */
  async authPlain(user: string, password: string): Promise<SmtpReply> {
    const reply = await this.command(`AUTH PLAIN ${encodeBase64(`\0${user}\0${password}`)}`);
    return reply.code === 334 ? await this.command("*") : reply;
  }

  /** Ends a refused transaction politely and reports the refusal. */
  async refused(reply: SmtpReply): Promise<SendResult> {
    await this.quit();
    return { ok: false, reply };
  }

  /** Sends QUIT; a server that already hung up or broke the connection is no error here. */
  async quit(): Promise<void> {
    try {
      await this.command("QUIT");
    } catch (error) {
      if (!(error instanceof ClientError)) throw error;
    }
  }
}

/**
 * A deliberately broken mail server for the checker's tests: an SMTP and
 * a POP3 listener in the test's process over one in-memory maildrop,
 * correct in everything check-server tests but three things:
 *
 * - SMTP DATA does not undo dot-stuffing: "..x" is stored as "..x";
 * - POP3 LIST and STAT count one octet per line end, not two (CRLF);
 * - POP3 DELE removes the message at once, not at QUIT.
 *
 * Its SMTP side, with the dots undone, also serves as a plain SMTP receiver
 * (`withSmtpDrop`) that drops messages into another server's maildir.
 *
 * @module
 */

/** The one user: name (any case) and password. */
export const BROKEN_USER = { name: "andrew", pass: "secret" } as const;

interface Stored {
  uid: string;
  lines: string[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads CRLF-ended lines, or raw bytes up to a marker, from a connection. */
class Wire {
  #conn: Deno.Conn;
  #buffer = "";
  #chunk = new Uint8Array(65536);

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** The text before `marker`, consumed with it; null at the end of input. */
  async until(marker: string): Promise<string | null> {
    for (;;) {
      const at = this.#buffer.indexOf(marker);
      if (at >= 0) {
        const text = this.#buffer.slice(0, at);
        this.#buffer = this.#buffer.slice(at + marker.length);
        return text;
      }
      const n = await this.#conn.read(this.#chunk).catch(() => null);
      if (n === null) return null;
      this.#buffer += decoder.decode(this.#chunk.subarray(0, n));
    }
  }

  async write(text: string): Promise<void> {
    await this.#conn.write(encoder.encode(text)).catch(() => 0);
  }
}

/** What an SMTP session does with a message: its lines as received; whether to undo the dot-stuffing. */
interface Receiver {
  store(lines: string[]): Promise<void>;
  unstuff: boolean;
}

/** An SMTP session; the broken server's fault is in DATA, which keeps the stuffing dots (`unstuff` false). */
async function smtpSession(wire: Wire, receiver: Receiver): Promise<void> {
  const reply = (text: string) => wire.write(`${text}\r\n`);
  let greeted = false;
  let sender: string | undefined;
  let recipients = 0;
  await reply("220 broken.test ESMTP broken fixture");
  for (let line = await wire.until("\r\n"); line !== null; line = await wire.until("\r\n")) {
    if (line.length > 510) {
      await reply("500 5.5.2 Line too long");
      continue;
    }
    const [verb, ...rest] = line.split(" ");
    const arg = rest.join(" ");
    switch (verb.toUpperCase()) {
      case "EHLO":
      case "HELO":
        greeted = true;
        sender = undefined;
        recipients = 0;
        await reply(
          verb.toUpperCase() === "EHLO" ? "250-broken.test\r\n250-SIZE 1000000\r\n250 8BITMIME" : "250 broken.test",
        );
        break;
      case "NOOP":
        await reply("250 2.0.0 OK");
        break;
      case "RSET":
        sender = undefined;
        recipients = 0;
        await reply("250 2.0.0 OK");
        break;
      case "QUIT":
        await reply("221 2.0.0 Bye");
        return;
      case "MAIL": {
        const m = /^FROM:<([^>]*)>(?: SIZE=(\d+))?$/i.exec(arg);
        if (!greeted || sender !== undefined) await reply("503 5.5.1 Bad sequence of commands");
        else if (m === null) await reply("501 5.5.2 Syntax error");
        else if (Number(m[2] ?? 0) > 1000000) await reply("552 5.3.4 Message too big");
        else await reply("250 2.1.0 OK").then(() => sender = m[1]);
        break;
      }
      case "RCPT": {
        const m = /^TO:<([^@>]+)@[^>]+>$/i.exec(arg);
        if (sender === undefined) await reply("503 5.5.1 Bad sequence of commands");
        else if (m === null) await reply("501 5.5.2 Syntax error");
        else if (m[1].toLowerCase() !== BROKEN_USER.name) await reply("550 5.1.1 No such user");
        else await reply("250 2.1.5 OK").then(() => recipients++);
        break;
      }
      case "DATA": {
        if (sender === undefined || recipients === 0) {
          await reply("503 5.5.1 Bad sequence of commands");
          break;
        }
        await reply("354 Go ahead");
        const data = await wire.until("\r\n.\r\n");
        if (data === null) return;
        const lines = data.split("\r\n");
        await receiver.store(receiver.unstuff ? lines.map((l) => l.startsWith(".") ? l.slice(1) : l) : lines);
        sender = undefined;
        recipients = 0;
        await reply("250 2.0.0 Stored");
        break;
      }
      default:
        await reply("500 5.5.1 Unknown command");
    }
  }
}

/** The size a correct server gives, less one octet per line: the LIST fault. */
function wrongSize(message: Stored): number {
  return message.lines.reduce((n, line) => n + encoder.encode(line).length + 1, 0);
}

/** The broken POP3 session: sizes short by one octet a line, DELE at once. */
async function pop3Session(wire: Wire, drop: Stored[]): Promise<void> {
  const reply = (text: string) => wire.write(`${text}\r\n`);
  const stuffed = (lines: string[]) => lines.map((l) => l.startsWith(".") ? `.${l}` : l).join("\r\n");
  let user: string | undefined;
  let inside = false;
  await reply("+OK broken fixture ready");
  for (let line = await wire.until("\r\n"); line !== null; line = await wire.until("\r\n")) {
    const [word, ...args] = line.split(" ");
    const keyword = word.toUpperCase();
    const n = /^\d+$/.test(args[0] ?? "") ? Number(args[0]) : 0;
    const message = n >= 1 && n <= drop.length ? drop[n - 1] : undefined;
    if (keyword === "QUIT") return void await reply("+OK bye");
    if (keyword === "CAPA") await reply("+OK\r\nUSER\r\nTOP\r\nUIDL\r\n.");
    else if (!inside && keyword === "USER") await reply("+OK").then(() => user = args[0]);
    else if (!inside && keyword === "PASS") {
      inside = user?.toLowerCase() === BROKEN_USER.name && args.join(" ") === BROKEN_USER.pass;
      await reply(inside ? "+OK logged in" : "-ERR [AUTH] wrong");
    } else if (!inside) await reply("-ERR log in first");
    else if (keyword === "NOOP" || keyword === "RSET") await reply("+OK");
    else if (keyword === "STAT") await reply(`+OK ${drop.length} ${drop.reduce((t, m) => t + wrongSize(m), 0)}`);
    else if ((keyword === "LIST" || keyword === "UIDL") && args.length === 0) {
      const each = drop.map((m, i) => `${i + 1} ${keyword === "LIST" ? wrongSize(m) : m.uid}`);
      await reply(["+OK", ...each, "."].join("\r\n"));
    } else if (message === undefined) await reply("-ERR no such message");
    else if (keyword === "LIST") await reply(`+OK ${n} ${wrongSize(message)}`);
    else if (keyword === "UIDL") await reply(`+OK ${n} ${message.uid}`);
    else if (keyword === "RETR") await reply(`+OK\r\n${stuffed(message.lines)}\r\n.`);
    else if (keyword === "TOP" && /^\d+$/.test(args[1] ?? "")) {
      const end = message.lines.indexOf("");
      const shown = end < 0 ? message.lines : message.lines.slice(0, end + 1 + Number(args[1]));
      await reply(`+OK\r\n${stuffed(shown)}\r\n.`);
    } else if (keyword === "DELE") await reply("+OK deleted").then(() => drop.splice(n - 1, 1)); // the fault
    else await reply("-ERR unknown command");
  }
}

/** The broken server's ports. */
export interface BrokenServer {
  smtpPort: number;
  pop3Port: number;
}

type Session = (wire: Wire) => Promise<void>;

/** Serves each listener's connections with its session for `fn`, then closes every listener and connection. */
async function serving<T>(sessions: Session[], fn: (ports: number[]) => Promise<T>): Promise<T> {
  const listeners = sessions.map(() => Deno.listen({ hostname: "127.0.0.1", port: 0 }));
  const open = new Set<Deno.Conn>();
  const running: Promise<void>[] = [];
  const accept = async (listener: Deno.Listener, session: Session) => {
    for await (const conn of listener) {
      open.add(conn);
      running.push(
        session(new Wire(conn)).finally(() => {
          if (open.delete(conn)) conn.close();
        }),
      );
    }
  };
  const accepting = listeners.map((listener, i) => accept(listener, sessions[i]));
  try {
    return await fn(listeners.map((listener) => (listener.addr as Deno.NetAddr).port));
  } finally {
    for (const listener of listeners) listener.close();
    for (const conn of open) {
      open.delete(conn);
      conn.close();
    }
    await Promise.allSettled([...accepting, ...running]);
  }
}

/** Runs the broken server on loopback for `fn`, then closes every listener and connection. */
export function withBrokenServer<T>(fn: (server: BrokenServer) => Promise<T>): Promise<T> {
  const drop: Stored[] = [];
  let delivered = 0;
  // The fault: the lines are kept as sent, their stuffing dots included.
  const store = (lines: string[]) => Promise.resolve(void drop.push({ uid: `u${++delivered}`, lines }));
  return serving(
    [(wire) => smtpSession(wire, { store, unstuff: false }), (wire) => pop3Session(wire, drop)],
    ([smtpPort, pop3Port]) => fn({ smtpPort, pop3Port }),
  );
}

/**
 * Runs a correct SMTP receiver for `fn` that hands each message (CRLF line
 * ends, unstuffed) to `deliver`: for putting mail into another server's
 * maildir (Dovecot's) over SMTP.
 */
export function withSmtpDrop<T>(
  deliver: (message: string) => Promise<void>,
  fn: (port: number) => Promise<T>,
): Promise<T> {
  const store = (lines: string[]) => deliver(lines.map((l) => `${l}\r\n`).join(""));
  return serving([(wire) => smtpSession(wire, { store, unstuff: true })], ([port]) => fn(port));
}

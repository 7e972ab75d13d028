/**
 * The client's interactive flow, as the lab assignment describes it: ask
 * for the user name and password and check them with the POP3 server, then
 * offer 1 Manage Mail, 2 Send Mail, 3 Quit until the user quits or input
 * ends. Input and output are parameters, so tests drive it with lines.
 *
 * @module
 */

import type { ClientConfig } from "./config.ts";
import { ClientError, type Connector, type Endpoint, tcpConnector } from "./connection.ts";
import type { Input, Output } from "./io.ts";
import { checkMailFormat, INCORRECT_FORMAT } from "./mail_format.ts";
import { manageMail } from "./manage.ts";
import { isInUse, MAILBOX_IN_USE, Pop3Client, type Pop3Reply } from "./pop3_client.ts";
import { printableLine } from "./printable.ts";
import { sendMail } from "./smtp_client.ts";

/** Everything the flow works with. */
export interface ClientOptions {
  /** The keyboard. */
  input: Input;
  /** The screen. */
  output: Output;
  /** Where the servers are. */
  servers: ClientConfig;
  /** Opens connections; TCP when left out. */
  connect?: Connector;
  /** The zone to show times in; the local zone when left out. */
  timeZone?: string;
}

/** The assignment's message after a mail was accepted. */
const MAIL_SENT = "Mail sent successfully";

const OPTIONS = "\nOptions:\n1. Manage Mail\n2. Send Mail\n3. Quit\nEnter your choice (1-3): ";
const COMPOSE_HELP = 'Type the mail: a "From:", a "To:" and a "Subject:" line, then the body, ' +
  'then a line with only "." to end it.\n';
/** Login attempts before the client gives up. */
const MAX_LOGINS = 3;

/** A flow step's outcome: go on, or end the program with this exit status. */
type Outcome = "menu" | { exit: number };

/**
 * Runs the client until the user quits or input ends.
 *
 * @returns the exit status: 0 after Quit or the end of input, 1 when the
 *   POP3 server cannot be reached or the login keeps failing
 */
export async function runClient(options: ClientOptions): Promise<number> {
  const { input, output, servers } = options;
  const connect = options.connect ?? tcpConnector();
  const pop3: Endpoint = { host: servers.host, port: servers.pop3Port, name: "POP3 server", protocol: "pop3" };
  const smtp: Endpoint = { host: servers.host, port: servers.smtpPort, name: "SMTP server", protocol: "smtp" };
  const credentials = await logIn(input, output, () => connect(pop3));
  if (!("user" in credentials)) return credentials.exit;
  for (;;) {
    const choice = await input.readLine(OPTIONS);
    if (choice === null) return ended(output);
    let outcome: Outcome;
    try {
      switch (choice.trim()) {
        case "1": {
          const context = { input, output, connect, pop3, credentials, timeZone: options.timeZone };
          outcome = await manageMail(context) === "menu" ? "menu" : { exit: ended(output) };
          break;
        }
        case "2":
          outcome = await composeAndSend(input, output, () => connect(smtp), credentials);
          break;
        case "3":
          output.write("Goodbye.\n");
          return 0;
        default:
          output.write(`Invalid choice "${printableLine(choice.trim())}": enter 1, 2 or 3.\n`);
          outcome = "menu";
      }
    } catch (error) {
      if (!(error instanceof ClientError)) throw error;
      output.write(`${error.message}\n`);
      outcome = "menu";
    }
    if (outcome !== "menu") return outcome.exit;
  }
}

function ended(output: Output): number {
  output.write("\nEnd of input: goodbye.\n");
  return 0;
}

/**
 * Asks for the user name and password and checks them with USER/PASS, then
 * QUIT. Wrong ones are said to be wrong and asked for again.
 */
async function logIn(
  input: Input,
  output: Output,
  open: () => ReturnType<Connector>,
): Promise<{ user: string; password: string } | { exit: number }> {
  for (let attempt = 1; attempt <= MAX_LOGINS; attempt++) {
    const user = await input.readLine("Username: ");
    if (user === null) return { exit: ended(output) };
    const password = await input.readSecret("Password: ");
    if (password === null) return { exit: ended(output) };
    let reply;
    try {
      reply = await checkLogin(open, user.trim(), password);
    } catch (error) {
      if (!(error instanceof ClientError)) throw error;
      output.write(`${error.message}\n`);
      return { exit: 1 };
    }
    // [IN-USE] comes only after the password was accepted (RFC 2449 §8.1.1): the user is logged in.
    if (reply.ok || isInUse(reply)) {
      output.write(`Logged in as ${printableLine(user.trim())}.\n`);
      if (!reply.ok) output.write(`${MAILBOX_IN_USE} Send Mail works; Manage Mail works once that session ends.\n`);
      return { user: user.trim(), password };
    }
    const why = /\[SYS\//.test(reply.line) ? "" : "wrong user name or password. ";
    output.write(`Login failed: ${why}The POP3 server said: ${printableLine(reply.line)}\n`);
  }
  output.write("Too many failed logins.\n");
  return { exit: 1 };
}

/**
 * One POP3 session that only logs in and quits (RFC 2595 STLS if offered,
 * RFC 1939 §7 USER/PASS, §6 QUIT), holding the maildrop as briefly as it can.
 */
async function checkLogin(open: () => ReturnType<Connector>, user: string, password: string): Promise<Pop3Reply> {
  const client = await Pop3Client.open(await open());
  try {
    await client.startTlsIfOffered();
    return await client.checkLogin(user, password);
  } finally {
    await client.close();
  }
}

/**
 * Option 2: reads a mail up to the "." line, checks its format and sends it
 * over SMTP, authenticated as the logged-in user when the server offers AUTH.
 */
async function composeAndSend(
  input: Input,
  output: Output,
  open: () => ReturnType<Connector>,
  credentials: { user: string; password: string },
): Promise<Outcome> {
  output.write(COMPOSE_HELP);
  const lines: string[] = [];
  let terminated = false;
  for (let line = await input.readLine(""); line !== null; line = await input.readLine("")) {
    if (line === ".") {
      terminated = true;
      break;
    }
    lines.push(line);
  }
  if (!terminated && lines.length === 0) return { exit: ended(output) };
  const checked = checkMailFormat(lines, terminated);
  if (!checked.ok) {
    output.write(`${INCORRECT_FORMAT}\n`);
    return terminated ? "menu" : { exit: ended(output) };
  }
  const result = await sendMail(await open(), checked.mail, { credentials });
  if (result.ok) output.write(`${MAIL_SENT}\n`);
  else output.write(`Mail not sent. The SMTP server replied:\n${result.reply.lines.map(printableLine).join("\n")}\n`);
  return "menu";
}

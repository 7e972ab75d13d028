/**
 * `check-server`'s driver: connects (through the client's `tcpConnector`,
 * each session traced into the rule's exchange), builds the contexts the
 * rules run against, delivers and deletes the run's own messages, and
 * prints each result as it comes. The rules know no sockets; this does.
 *
 * @module
 */

import { readCaFile } from "../client/config.ts";
import { type Connector, tcpConnector } from "../client/connection.ts";
import { tracingConnector } from "../client/wire_trace.ts";
import type { CheckConfig, ServerAddress } from "./args.ts";
import { deleteMarked, deliverOwn, readMarked } from "./maildrop_ops.ts";
import { openPop3, type Pop3Check } from "./pop3_check.ts";
import { POP3_MESSAGE_RULES } from "./pop3_message_rules.ts";
import { POP3_SESSION_RULES } from "./pop3_session_rules.ts";
import { resultLines, summaryLine } from "./report.ts";
import type { Result } from "./rule.ts";
import { ExchangeCapture, exitStatus, runRules } from "./runner.ts";
import { openSmtp, type SmtpCheck } from "./smtp_check.ts";
import { SMTP_DATA_RULES } from "./smtp_data_rules.ts";
import { SMTP_SESSION_RULES } from "./smtp_session_rules.ts";
import { DOT_LINES, MARK_FIELD, newToken, testMessage } from "./test_message.ts";

/** Options of a run, for tests. */
export interface RunOptions {
  /** Where each printed line goes. */
  print(line: string): void;
  /** How long a message may take to arrive in a maildrop, in ms. */
  arrivalWaitMs?: number;
  /** The run's token; a new one when left out. */
  token?: string;
}

/** The messages delivered for the POP3 rules: one for DELE then RSET, one more should a broken server lose it. */
const OWN_MESSAGES = ["pop3-1", "pop3-2"];

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Everything a run shares: the token, the capture, the connectors. */
class Run {
  readonly token: string;
  readonly capture = new ExchangeCapture();
  readonly #connect: Connector;
  readonly #plain: Connector;
  readonly #config: CheckConfig;
  #sessions = 0;

  constructor(config: CheckConfig, caCerts: string[] | undefined, token: string) {
    this.token = token;
    this.#config = config;
    const sessions = { session: () => ({ session: ++this.#sessions, emit: this.capture.record.bind(this.capture) }) };
    const { timeoutMs } = config;
    this.#connect = tracingConnector(
      tcpConnector({ caCerts, implicit: config.tls === "implicit", timeoutMs }),
      sessions,
    );
    this.#plain = tracingConnector(tcpConnector({ caCerts, timeoutMs }), sessions);
  }

  /** An SMTP context for `server`: the target's TLS for the target, plain for a helper server. */
  smtp(server: ServerAddress, accepted: string[]): SmtpCheck {
    const target = server === this.#config.target;
    const connect = target ? this.#connect : this.#plain;
    const endpoint = { host: server.host, port: server.port, name: "SMTP server", protocol: "smtp" } as const;
    const rcpt = this.#config.rcpt!;
    return {
      open: async () => openSmtp(await connect(endpoint), target && this.#config.tls === "starttls"),
      rcpt,
      from: this.#config.from ?? rcpt,
      token: this.token,
      accepted: (message) => accepted.push(message.mark),
    };
  }

  /** A POP3 context for `server`. */
  pop3(server: ServerAddress): Pop3Check {
    const target = server === this.#config.target;
    const connect = target ? this.#connect : this.#plain;
    const endpoint = { host: server.host, port: server.port, name: "POP3 server", protocol: "pop3" } as const;
    return {
      open: async () => openPop3(await connect(endpoint), target && this.#config.tls === "starttls"),
      user: this.#config.user!,
      pass: this.#config.pass!,
      own: [],
      noSeed: "needs --smtp to deliver messages of its own: it deletes no other",
      pause,
    };
  }
}

/** Prints the results as they come, and gathers them. */
function printer(options: RunOptions): (result: Result) => void {
  return (result) => {
    for (const line of resultLines(result)) options.print(line);
  };
}

/** Checks an SMTP server; reads back and deletes through --pop3 when given. */
async function checkSmtp(run: Run, config: CheckConfig, options: RunOptions): Promise<Result[]> {
  const accepted: string[] = [];
  const check = run.smtp(config.target, accepted);
  const reader = config.pop3 === undefined ? undefined : run.pop3(config.pop3);
  if (reader !== undefined) check.readBack = (mark) => readMarked(reader, mark, options.arrivalWaitMs);
  const results = await runRules([...SMTP_SESSION_RULES, ...SMTP_DATA_RULES], check, run.capture, printer(options));
  const sent = `${accepted.length} message${accepted.length === 1 ? "" : "s"} to ${check.rcpt}`;
  const marked = `each marked "${MARK_FIELD}: ${run.token} …"`;
  if (reader === undefined) {
    options.print(`Sent ${sent}, ${marked}; they stay there (give --pop3 URL --user --pass to have them deleted).`);
  } else if (accepted.length > 0) {
    const deleted = await deleteMarked(reader, accepted, options.arrivalWaitMs);
    options.print(`Sent ${sent}, ${marked}; deleted ${deleted} of them through POP3, and nothing else.`);
  }
  run.capture.take();
  return results;
}

/** Checks a POP3 server, with a message of its own delivered through --smtp when given. */
async function checkPop3(run: Run, config: CheckConfig, options: RunOptions): Promise<Result[]> {
  const check = run.pop3(config.target);
  const accepted: string[] = [];
  if (config.smtp !== undefined) {
    const smtp = run.smtp(config.smtp, accepted);
    for (const purpose of OWN_MESSAGES) {
      const message = testMessage({
        token: run.token,
        purpose,
        from: smtp.from,
        to: smtp.rcpt,
        date: new Date(),
        body: DOT_LINES,
      });
      try {
        await deliverOwn(smtp, message);
        if (await readMarked(check, message.mark, options.arrivalWaitMs) === undefined) {
          check.noSeed = `its message to ${smtp.rcpt} did not arrive`;
        } else check.own.push(message);
      } catch (error) {
        check.noSeed = `its message could not be delivered: ${(error as Error).message}`;
      }
    }
    run.capture.take();
  }
  const results = await runRules([...POP3_SESSION_RULES, ...POP3_MESSAGE_RULES], check, run.capture, printer(options));
  if (accepted.length > 0) {
    const left = await deleteMarked(check, accepted, 0).catch(() => 0);
    options.print(
      `Delivered ${accepted.length} messages to ${config.rcpt} through SMTP, marked "${MARK_FIELD}: ${run.token} …"; ` +
        `deleted ${left} left at the end, the rest by the rules (or the server lost them), and nothing else.`,
    );
  }
  run.capture.take();
  return results;
}

/**
 * Runs every rule of the target's protocol and prints the results, then a summary.
 *
 * @returns the exit status: 0 when every required rule passed (or was not offered or skipped), 1 otherwise
 * @throws {UsageError} when --ca-file cannot be read
 */
export async function runCheck(config: CheckConfig, options: RunOptions): Promise<number> {
  const caCerts = config.caFile === undefined ? undefined : [await readCaFile(config.caFile)];
  const run = new Run(config, caCerts, options.token ?? newToken());
  const { protocol, host, port } = config.target;
  const tls = config.tls === "none" ? "" : config.tls === "starttls" ? " with STARTTLS" : " over TLS";
  options.print(
    `check-server ${protocol}://${host.includes(":") ? `[${host}]` : host}:${port}${tls}, run ${run.token}`,
  );
  const results = protocol === "smtp" ? await checkSmtp(run, config, options) : await checkPop3(run, config, options);
  options.print(summaryLine(results));
  return exitStatus(results);
}

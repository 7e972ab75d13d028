/**
 * SMTP rules about DATA: a message ends at CRLF . CRLF and nowhere else
 * (the smuggling variants with bare CR and LF), text lines of 1000 octets
 * are taken, and dot-stuffing is undone (RFC 5321 4.1.1.4, 4.5.2,
 * 4.5.3.1.6). Each delivers messages to the recipient, which the run reads
 * back and deletes when it has a POP3 reader.
 *
 * @module
 */

import { fail, PASS, type Rule, skipped, type Verdict } from "./rule.ts";
import { messageFor, type SmtpCheck, startData, withSession } from "./smtp_check.ts";
import { shown } from "./smtp_probe.ts";
import { dataWire, DOT_LINES, type TestMessage } from "./test_message.ts";

/**
 * Sends `message` in DATA as `wire` (its dot-stuffed form unless given),
 * and checks the reply to its end and that the session is still in step:
 * NOOP must then get "250" as the very next reply.
 */
async function deliver(check: SmtpCheck, message: TestMessage, wire = dataWire(message)): Promise<Verdict> {
  return await withSession(check, async (s) => {
    await startData(s, check);
    await s.send(wire);
    const end = await s.replyOrClose();
    if (end === null || end.code !== 250) return fail(`the end of DATA was answered ${shown(end)}`);
    check.accepted(message);
    const noop = await s.command("NOOP");
    return noop.code === 250 ? PASS : fail(`after the message's 250, NOOP was answered ${shown(noop)}`);
  });
}

/** A smuggling variant: the bytes that must not end DATA, and how to name them. */
interface Smuggle {
  /** Part of the rule's id. */
  name: string;
  /** The bytes, between a text line and the smuggled line. */
  bytes: string;
  /** How the rule writes them. */
  shown: string;
}

const SMUGGLES: Smuggle[] = [
  { name: "lf-dot-lf", bytes: "\n.\n", shown: "<LF>.<LF>" },
  { name: "lf-dot-crlf", bytes: "\n.\r\n", shown: "<LF>.<CR><LF>" },
  { name: "crlf-dot-lf", bytes: "\r\n.\n", shown: "<CR><LF>.<LF>" },
  { name: "cr-dot-cr", bytes: "\r.\r", shown: "<CR>.<CR>" },
  { name: "crlf-dot-cr", bytes: "\r\n.\r", shown: "<CR><LF>.<CR>" },
];

/** The line that follows a false end of data: a command no server knows, so a server fooled answers 500. */
const SMUGGLED = "XSMUGGLED-COMMAND";

/**
 * One smuggling rule: a message holding `smuggle.bytes` then a line that
 * would be a command. A server that ends DATA there answers 250 early and
 * then 500 to the line, so NOOP afterwards gets 500: out of step. A server
 * that refuses the message for its bare CR or LF keeps the rule too.
 */
function smugglingRule(smuggle: Smuggle): Rule<SmtpCheck> {
  return {
    id: `smtp.data-end.${smuggle.name}`,
    ref: "RFC 5321 4.1.1.4",
    title: `"${smuggle.shown}" inside a message does not end it`,
    expects: `only <CR><LF>.<CR><LF> ends DATA; "${smuggle.shown}" is message content (or the message is refused)`,
    required: true,
    run: (check) =>
      withSession(check, async (s) => {
        const message = messageFor(check, `smuggling-${smuggle.name}`, ["first line", "last line"]);
        const wire = dataWire(message).replace("first line\r\n", `first line${smuggle.bytes}${SMUGGLED}\r\n`);
        await startData(s, check);
        await s.send(wire);
        const end = await s.replyOrClose();
        if (end === null || end.code >= 400) return PASS; // refused for its bare CR or LF: allowed (RFC 5321 2.3.8)
        if (end.code !== 250) return fail(`the end of DATA was answered ${shown(end)}`);
        check.accepted(message);
        const noop = await s.command("NOOP");
        return noop.code === 250
          ? PASS
          : fail(`the message ended early: "${SMUGGLED}" was read as a command, and NOOP was answered ${shown(noop)}`);
      }),
  };
}

/** The SMTP DATA rules, in the order they run. */
export const SMTP_DATA_RULES: Rule<SmtpCheck>[] = [
  {
    id: "smtp.data-end",
    ref: "RFC 5321 4.1.1.4",
    title: "a message ended by <CR><LF>.<CR><LF> is accepted with 250",
    expects: '"354" to DATA, "250" after the end marker, and the session in step (NOOP "250")',
    required: true,
    run: (check) => deliver(check, messageFor(check, "data-end", ["A short test message."])),
  },
  ...SMUGGLES.map(smugglingRule),
  {
    id: "smtp.text-line-length",
    ref: "RFC 5321 4.5.3.1.6",
    title: "a text line of 1000 octets, CRLF included, is taken",
    expects: '"250": servers must take message lines up to 998 characters and CRLF',
    required: true,
    run: (check) => deliver(check, messageFor(check, "text-line-length", ["x".repeat(998), "end"])),
  },
  {
    id: "smtp.dot-stuffing",
    ref: "RFC 5321 4.5.2",
    title: "dot-stuffed lines are stored with their extra dot removed",
    expects: 'a line sent as "..x" stored as ".x", one sent as ".." as "." (read back through POP3)',
    required: true,
    async run(check) {
      if (check.readBack === undefined) return skipped("needs --pop3, --user and --pass to read the message back");
      const message = messageFor(check, "dot-stuffing", DOT_LINES);
      const sent = await deliver(check, message);
      if (sent.status !== "pass") return sent;
      const stored = await check.readBack(message.mark);
      if (stored === undefined) return fail("the message did not arrive in the POP3 maildrop");
      const body = stored.slice(stored.indexOf("") + 1);
      const differs = DOT_LINES.findIndex((line, i) => body[i] !== line);
      if (differs >= 0) {
        const [got, want] = [JSON.stringify(body[differs]), JSON.stringify(DOT_LINES[differs])];
        return fail(`body line ${differs + 1} came back as ${got}, sent ${want} (stuffed on the wire)`);
      }
      return body.length === DOT_LINES.length
        ? PASS
        : fail(`the body came back with ${body.length} lines, ${DOT_LINES.length} were sent`);
    },
  },
];

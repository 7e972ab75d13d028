/**
 * smtpmail's log over real sockets: every refused MAIL and RCPT gets a line
 * naming the client, the envelope and the reply code, within a server-wide
 * budget; Unicode format characters are escaped, and a sender whose local
 * part reads like our fields is quoted so that `grep outcome=` finds only ours.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { waitFor } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { withSmtp } from "../helpers/smtp_server.ts";

/** The log lines that contain `text`. */
function linesWith(log: string, text: string): string[] {
  return log.split("\n").filter((line) => line.includes(text));
}

Deno.test("smtpmail logs each refused MAIL and RCPT with client, from, to and the reply code", async () => {
  await withSmtp(["--failed-login-delay", "1"], async (server) => {
    const client = await SmtpClient.open(server.port);
    await client.command("MAIL FROM:<someone@example.org>", 250);
    await client.command("RCPT TO:<nobody@localhost>", 550);
    await client.command("RCPT TO:<andrew@example.com>", 550);
    await client.command("RSET", 250);
    await client.command(`AUTH PLAIN ${Buffer.from("\0Stallings\0network$security").toString("base64")}`, 235);
    await client.command("MAIL FROM:<andrew@localhost>", 550);
    await client.quit();
    await client.close();
    await waitFor("three refusal lines", () => linesWith(server.stderrText(), " outcome=refused at ").length === 3);
    const lines = linesWith(server.stderrText(), " outcome=refused at ");
    assert.match(
      lines[0],
      / smtp id=- client=127\.0\.0\.1 from=<someone@example\.org> to=<nobody@localhost> size=0 outcome=refused at RCPT: 550 5\.1\.1$/,
    );
    assert.match(
      lines[1],
      / from=<someone@example\.org> to=<andrew@example\.com> size=0 outcome=refused at RCPT: 550 5\.7\.1$/,
    );
    assert.match(
      lines[2],
      / client=127\.0\.0\.1 user=Stallings from=<andrew@localhost> to= size=0 outcome=refused at MAIL: 550 5\.7\.1$/,
    );
  });
});

Deno.test("smtpmail escapes format characters and quotes field-like senders in its log", async () => {
  await withSmtp([], async (server) => {
    const client = await SmtpClient.open(server.port);
    await client.command("MAIL FROM:<admin\u202e\u200b@localhost> SMTPUTF8", 250);
    await client.command("RCPT TO:<nobody@localhost>", 550);
    await client.command("RSET", 250);
    await client.command('MAIL FROM:<"a> size=1 outcome=stored x"@localhost>', 250);
    await client.command("RCPT TO:<nobody@localhost>", 550);
    await client.quit();
    await client.close();
    await waitFor("two refusal lines", () => linesWith(server.stderrText(), "refused at RCPT").length === 2);
    const [formats, quoted] = linesWith(server.stderrText(), "refused at RCPT");
    assert.match(formats, / from=<admin\\u202e\\u200b@localhost> /);
    assert.doesNotMatch(formats, /[\u202e\u200b]/);
    assert.match(quoted, / from="<\\"a> size\\u003d1 outcome\\u003dstored x\\"@localhost>" to=/);
    assert.equal(quoted.match(/outcome=/g)?.length, 1, quoted);
  });
});

Deno.test("smtpmail bounds the log lines of a flood of refusals, and says how many it left out", async () => {
  await withSmtp(["--max-errors", "1000"], async (server) => {
    const client = await SmtpClient.open(server.port);
    await client.command("MAIL FROM:<someone@example.org>", 250);
    await client.write("RCPT TO:<nobody@localhost>\r\n".repeat(300));
    for (let i = 0; i < 300; i++) await client.expect(550);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.command("RCPT TO:<nobody@localhost>", 550);
    await client.quit();
    await client.close();
    await waitFor("the count of lines left out", () => / smtp refusals not logged: \d+\n/.test(server.stderrText()));
    const logged = linesWith(server.stderrText(), "refused at RCPT").length;
    const skipped = Number(/ smtp refusals not logged: (\d+)\n/.exec(server.stderrText())![1]);
    console.log(`301 refusals: ${logged} logged, ${skipped} counted as left out`);
    assert.ok(logged < 150, `${logged} lines`);
    assert.equal(logged + skipped, 301);
  });
});

/**
 * `--quota OCTETS` over real sockets: a delivery that would take a mailbox
 * over it gets 452 4.2.2 and nothing is stored for anyone, a message larger
 * than the quota itself 552 5.2.2, both logged; POP3 is unaffected, and once
 * mail is deleted, delivery works again.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { startPop3 } from "../helpers/pop3_server.ts";
import { makeTempRoot, waitFor } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { startSmtp } from "../helpers/smtp_server.ts";

const QUOTA = 2000;
const MESSAGE = `Subject: q\r\n\r\n${"x".repeat(600)}\r\n`;

Deno.test("smtpmail --quota refuses what would not fit, whole, and takes mail again once there is room", async () => {
  const temp = await makeTempRoot();
  const smtp = await startSmtp({ root: temp, flags: ["--quota", String(QUOTA)] });
  const pop3 = await startPop3(temp);
  try {
    const client = await SmtpClient.open(smtp.port);
    const send = (to: string[], data = MESSAGE) => client.send({ from: "x@example.org", to, data });
    assert.match((await send(["andrew@localhost"])).last, /^250 /);
    assert.match((await send(["andrew@localhost"])).last, /^250 /);
    assert.equal(
      (await send(["stallings@localhost", "andrew@localhost"])).last,
      "452 4.2.2 Mailbox full, try again later",
    );
    assert.equal(
      (await send(["stallings@localhost"], `Subject: big\r\n\r\n${"y".repeat(900)}\r\n`.repeat(4))).last,
      `552 5.2.2 Message exceeds the mailbox quota of ${QUOTA} octets`,
    );
    const andrew = await Deno.stat(join(temp.root, "Andrew", "mymailbox"));
    assert.ok(andrew.size <= QUOTA, `${andrew.size} octets stored`);
    const stallings = await Deno.readFile(join(temp.root, "Stallings", "mymailbox")).catch(() => new Uint8Array());
    assert.equal(stallings.length, 0, "no copy for Stallings, who had room: the delivery is all or nothing");
    await waitFor("both refusals logged", () => /outcome=rejected: over quota \(Andrew\)\n/.test(smtp.stderrText()));
    await waitFor(
      "the 552 logged",
      () => / to=<stallings@localhost> size=\d+ outcome=rejected: over quota\n/.test(smtp.stderrText()),
    );

    const reader = await Pop3Client.login(pop3.port, "Andrew");
    assert.match(await reader.command("STAT", "+OK"), /^\+OK 2 /);
    await reader.command("DELE 1", "+OK");
    await reader.command("QUIT", "+OK");
    await reader.close();
    assert.match((await send(["andrew@localhost"])).last, /^250 /, "room again after a deletion");
    await client.quit();
    await client.close();
  } finally {
    await pop3.stop();
    await smtp.stop();
    await temp.remove();
  }
});

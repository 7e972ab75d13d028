/**
 * popserver's log over real sockets: RETR and TOP counted apart in the
 * session line, and a failed TLS handshake logged when it fails, in the
 * same line format after STLS as on the implicit-TLS port.
 */

import assert from "node:assert/strict";
import { LineClient } from "../helpers/line_client.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages, waitForSessions, withMailServers } from "../helpers/pop3_server.ts";
import { waitFor } from "../helpers/server_process.ts";
import { implicitTlsPort, tlsFlags, withTestCert } from "../helpers/tls.ts";

const MESSAGE = "From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: s\r\n\r\nbody\r\n";

Deno.test("popserver logs RETR and TOP apart: retrieved=1 top=2", async () => {
  await withMailServers([], async ({ smtp, pop3 }) => {
    await sendMessages(smtp.port, [MESSAGE, MESSAGE, MESSAGE]);
    const client = await Pop3Client.login(pop3.port, "Andrew");
    await client.retr(1);
    for (const n of [2, 3]) {
      await client.command(`TOP ${n} 0`, "+OK");
      await client.body();
    }
    await client.command("QUIT", "+OK");
    await client.close();
    const [line] = await waitForSessions(pop3, 1);
    assert.match(line, / user=Andrew failed_logins=0 retrieved=1 top=2 outcome=quit, deleted 0$/);
  });
});

Deno.test("popserver logs a failed handshake after STLS at once, as on its implicit-TLS port", async () => {
  await withTestCert(async (cert) => {
    await withMailServers(tlsFlags(cert, true), async ({ pop3 }) => {
      const failure = / pop3 client=127\.0\.0\.1 TLS handshake failed: .+\n/g;
      const stls = await LineClient.connect(pop3.port);
      await stls.readLine();
      await stls.write("STLS\r\n");
      assert.equal(await stls.readLine(), "+OK Begin TLS negotiation");
      await stls.write("this is not a TLS client hello\r\n\r\n");
      await waitFor("the STLS failure line", () => (pop3.stderrText().match(failure) ?? []).length === 1);
      const [session] = await waitForSessions(pop3, 1);
      assert.match(session, / outcome=TLS handshake failed$/);
      const log = pop3.stderrText();
      assert.ok(log.search(failure) < log.indexOf(session), "the failure comes before the session's line");
      await stls.close();

      const implicit = await LineClient.connect(implicitTlsPort(pop3));
      await implicit.write("this is not a TLS client hello\r\n\r\n");
      await waitFor("the implicit-TLS failure line", () => (pop3.stderrText().match(failure) ?? []).length === 2);
      await implicit.close();
    });
  });
});

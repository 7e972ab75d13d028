/**
 * --tls-failure-limit: once that many TLS handshakes failed within the
 * handshake timeout (10 s), neither server starts another (each failed one
 * is held by node:tls until then, so a flood of them could fill the heap):
 * STARTTLS gets 454, STLS a temporary -ERR, the implicit-TLS port closes the
 * connection; a session in plaintext goes on.
 */

import assert from "node:assert/strict";
import { LineClient } from "../helpers/line_client.ts";
import { withMailServers } from "../helpers/pop3_server.ts";
import { waitFor } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { withSmtp } from "../helpers/smtp_server.ts";
import { implicitTlsPort, tlsFlags, withTestCert } from "../helpers/tls.ts";
import { HANDSHAKE_TIMEOUT_MS, TlsCredentials } from "../../lib/net/tls.ts";

const LIMIT = ["--tls-failure-limit", "2"];
const NOT_TLS = "this is not a TLS ClientHello\r\n".repeat(4);

/** Says STARTTLS, then sends plain text instead of a handshake, and waits for the server to close. */
async function failStartTls(port: number): Promise<void> {
  const client = await SmtpClient.open(port);
  try {
    await client.command("STARTTLS", 220);
    await client.write(NOT_TLS);
    await client.conn.readToEnd();
  } finally {
    await client.close();
  }
}

Deno.test("smtpmail refuses STARTTLS with 454 once --tls-failure-limit handshakes failed, and goes on in plaintext", async () => {
  await withTestCert(async (cert) => {
    await withSmtp([...tlsFlags(cert, true), ...LIMIT], async (server) => {
      await failStartTls(server.port);
      // A failure on the implicit-TLS port counts the same.
      const implicit = await LineClient.connect(implicitTlsPort(server));
      try {
        await implicit.write(NOT_TLS);
        // A TLS alert (decode_error), then the close.
        assert.ok((await implicit.readToEnd()).startsWith("\x15\x03"), "an alert record");
      } finally {
        implicit.close();
      }
      await waitFor("two failures in the log", () => server.stderrText().split("TLS handshake failed").length === 3);
      const client = await SmtpClient.open(server.port);
      try {
        assert.equal((await client.command("STARTTLS")).last, "454 4.7.0 TLS not available due to temporary reason");
        assert.equal((await client.command("NOOP")).last, "250 2.0.0 OK");
        await client.quit();
      } finally {
        await client.close();
      }
      const refusedImplicit = await LineClient.connect(implicitTlsPort(server));
      try {
        assert.equal(await refusedImplicit.readToEnd(), "", "the TLS port closes without a handshake");
      } finally {
        refusedImplicit.close();
      }
      assert.match(
        server.stderrText(),
        /smtp TLS unavailable: 2 TLS handshakes failed in the last 10 s \(--tls-failure-limit 2\); none started/,
      );
    });
  });
});

Deno.test("popserver refuses STLS with -ERR [SYS/TEMP] once --tls-failure-limit handshakes failed", async () => {
  await withTestCert(async (cert) => {
    await withMailServers([...tlsFlags(cert), ...LIMIT], async ({ pop3 }) => {
      for (let i = 0; i < 2; i++) {
        const client = await LineClient.connect(pop3.port);
        try {
          assert.match((await client.readLine())!, /^\+OK/);
          await client.write("STLS\r\n");
          assert.match((await client.readLine())!, /^\+OK/);
          await client.write(NOT_TLS);
          await client.readToEnd();
        } finally {
          client.close();
        }
      }
      await waitFor("two failures in the log", () => pop3.stderrText().split("TLS handshake failed").length === 3);
      const client = await LineClient.connect(pop3.port);
      try {
        assert.match((await client.readLine())!, /^\+OK/);
        await client.write("STLS\r\n");
        assert.match((await client.readLine())!, /^-ERR \[SYS\/TEMP\]/);
        await client.write("CAPA\r\n");
        assert.equal(await client.readLine(), "+OK Capability list follows");
      } finally {
        client.close();
      }
    });
  });
});

Deno.test("--tls-failure-limit needs a certificate and a count of at least 1", async () => {
  const withCert = ["--tls-cert", "c.pem", "--tls-key", "k.pem"];
  const cases: [string[], string][] = [
    [["--tls-failure-limit", "5"], "Cannot use --tls-failure-limit without --tls-cert"],
    [[...withCert, "--tls-failure-limit", "0"], "Cannot parse --tls-failure-limit: 0"],
    [[...withCert, "--tls-failure-limit", "many"], "Cannot parse --tls-failure-limit: many"],
  ];
  for (const [flags, message] of cases) {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../../smtpmail.ts", import.meta.url).pathname, "0", ...flags],
      stdout: "null",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stderr);
    assert.equal(code, 2, flags.join(" "));
    assert.ok(text.includes(message), text);
  }
});

Deno.test("failed handshakes count against the limit for 10 s, then no longer", async () => {
  await withTestCert(async (cert) => {
    const tls = await TlsCredentials.load({ certFile: cert.certFile, keyFile: cert.keyFile }, 2);
    const start = 1_000_000;
    tls.failed(start);
    assert.ok("identity" in await tls.current(start + 1), "one failure is under the limit");
    tls.failed(start + 5_000);
    assert.ok("error" in await tls.current(start + 5_001), "two within 10 s reach it");
    assert.ok("error" in await tls.current(start + HANDSHAKE_TIMEOUT_MS - 1), "the first still counts within 10 s");
    assert.ok("identity" in await tls.current(start + HANDSHAKE_TIMEOUT_MS), "and no longer at 10 s");
  });
});

import assert from "node:assert/strict";
import { UsageError } from "../../lib/cli.ts";
import { parsePop3Args } from "../../lib/pop3/config.ts";

Deno.test("parsePop3Args reads --http and --http-tls", () => {
  assert.equal(parsePop3Args(["1100"]).http, undefined);
  assert.deepEqual(parsePop3Args(["1100", "--http", "8025"]).http, { port: 8025, tls: false });
  const tls = ["--tls-cert", "c.pem", "--tls-key", "k.pem"];
  assert.deepEqual(parsePop3Args(["1100", ...tls, "--http", "0", "--http-tls"]).http, { port: 0, tls: true });
});

Deno.test("parsePop3Args refuses a bad --http port, and --http-tls without --http or a certificate", () => {
  const table: [string[], RegExp][] = [
    [["--http", "x"], /Cannot parse --http: x/],
    [["--http", "70000"], /Cannot parse --http: 70000/],
    [["--http-tls"], /Cannot use --http-tls without --http/],
    [["--http", "8025", "--http-tls"], /Cannot use --http-tls without --tls-cert/],
  ];
  for (const [flags, message] of table) {
    assert.throws(
      () => parsePop3Args(["1100", ...flags]),
      (error) => error instanceof UsageError && message.test(error.message),
    );
  }
});

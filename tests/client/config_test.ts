/** mailclient's command line: defaults, ports, and each kind of usage error. */

import assert from "node:assert/strict";
import { InfoRequest, UsageError } from "../../lib/cli.ts";
import { parseClientArgs } from "../../lib/client/config.ts";

Deno.test("parseClientArgs fills in localhost 2525 1100 for what is left out", () => {
  const base = { host: "localhost", smtpPort: 2525, pop3Port: 1100 };
  assert.deepEqual(parseClientArgs([]), base);
  assert.deepEqual(parseClientArgs(["mail.example"]), { ...base, host: "mail.example" });
  assert.deepEqual(parseClientArgs(["127.0.0.1", "25"]), { ...base, host: "127.0.0.1", smtpPort: 25 });
  assert.deepEqual(parseClientArgs(["::1", "25", "110"]), { host: "::1", smtpPort: 25, pop3Port: 110 });
});

Deno.test("parseClientArgs answers --help and --version before anything else", () => {
  for (const [args, kind] of [[["--help"], "help"], [["-h", "x", "y"], "help"], [["--version", "--bad"], "version"]]) {
    assert.throws(() => parseClientArgs(args as string[]), (e) => e instanceof InfoRequest && e.kind === kind);
  }
});

Deno.test("parseClientArgs throws UsageError for bad arguments", () => {
  const bad = [["a", "1", "2", "3"], ["a", "x"], ["a", "1", "0"], ["a", "70000"], ["a", "-1"], ["--port", "1"], [""]];
  for (const args of bad) assert.throws(() => parseClientArgs(args), UsageError, JSON.stringify(args));
});

/**
 * `--help` and `--version` on each program as its deno task runs it: the
 * usage and every flag with its default, or the name and version, on
 * stdout with exit status 0, whatever else is on the command line.
 */

import assert from "node:assert/strict";
import { VERSION } from "../../lib/version.ts";
import { runTask as task } from "../helpers/server_process.ts";

const PROGRAMS = [
  { task: "smtp", name: "smtpmail", flags: ["--max-message-size OCTETS (default 10485760)", "--tls-port PORT"] },
  { task: "pop3", name: "popserver", flags: ["--idle-timeout SECONDS (default 600)", "--untrusted-loopback"] },
  { task: "client", name: "mailclient", flags: ["--ca-file FILE", "--trace[=FILE] (default mailclient-trace.log)"] },
  { task: "check-server", name: "check_server", flags: ["--rcpt ADDRESS", "--starttls"] },
];

for (const program of PROGRAMS) {
  Deno.test(`deno task ${program.task} --help and --version answer on stdout with exit status 0`, async () => {
    const help = await task(program.task, ["--help", "--no-such-flag"]);
    assert.equal(help.code, 0, help.stderr);
    assert.ok(help.stdout.startsWith(`Usage: ${program.name}.ts `), help.stdout);
    for (const flag of program.flags) assert.ok(help.stdout.includes(`\n  ${flag}\n`), `${flag} in:\n${help.stdout}`);
    for (const used of help.stdout.split("\n")[0].matchAll(/\[(--[a-z-]+)/g)) {
      assert.ok(help.stdout.includes(`\n  ${used[1]}`), `${used[1]} listed`);
    }
    const version = await task(program.task, ["--version"]);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout, `${program.name} ${VERSION}\n`);
  });
}

/**
 * The README's curl examples of the API, run as they are written (bash,
 * curl) against real servers: the port is the test server's instead of
 * 8025, and the long poll waits 1 s instead of 30.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { sendMessages } from "../helpers/pop3_server.ts";
import { REPO_ROOT } from "../helpers/server_process.ts";
import { withWebServers } from "../helpers/web_server.ts";

const MEETING = [
  "From: stallings@localhost",
  "To: andrew@localhost",
  "Subject: Meeting agenda",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="b"',
  "",
  "--b",
  "Content-Type: text/plain",
  "",
  "The agenda is attached.",
  "--b",
  'Content-Type: text/plain; name="agenda.txt"',
  'Content-Disposition: attachment; filename="agenda.txt"',
  "",
  "1. POP3",
  "--b--",
  "",
].join("\r\n");

/** The block after `<!-- api-examples: … -->` in README.md. */
async function examples(): Promise<string> {
  const readme = await Deno.readTextFile(join(REPO_ROOT, "README.md"));
  const m = /<!-- api-examples: [^>]*-->\n\n```sh\n([^]*?)```\n/.exec(readme);
  assert.ok(m, "no api-examples block in README.md");
  return m[1];
}

Deno.test("README's curl examples of the API run as written", async () => {
  const script = await examples();
  await withWebServers(async ({ smtp, url }) => {
    await sendMessages(smtp.port, [MEETING]);
    const port = new URL(url).port;
    const dir = await Deno.makeTempDir({ prefix: "readme_curl_" });
    try {
      const run = script.replaceAll("127.0.0.1:8025", `127.0.0.1:${port}`).replace("timeout=30", "timeout=1");
      const out = await new Deno.Command("bash", { args: ["-e", "-c", run], cwd: dir }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      for (const expected of ['"total":1', '"subject":"Meeting agenda"', '"filename":"agenda.txt"', "Received: from"]) {
        assert.ok(stdout.includes(expected), `no ${expected} in:\n${stdout}`);
      }
      assert.ok(stdout.endsWith('{"deleted":1}{"deleted":0}'), stdout);
      // postal-mime gives a text part's lines LF ends, the last one included.
      assert.equal(await Deno.readTextFile(join(dir, "agenda.txt")), "1. POP3\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

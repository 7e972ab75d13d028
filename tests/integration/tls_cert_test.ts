/** `scripts/make_cert.sh`: an EC P-256 certificate for localhost and 127.0.0.1, its key readable by its owner only. */

import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/server_process.ts";

async function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `${cmd} ${args.join(" ")}: ${text}`);
  return text;
}

Deno.test("make_cert.sh writes ./tls/cert.pem and a 0600 key.pem for localhost and 127.0.0.1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mail_cert_" });
  try {
    await run("bash", [join(REPO_ROOT, "scripts", "make_cert.sh")], dir);
    const cert = join(dir, "tls", "cert.pem");
    const key = join(dir, "tls", "key.pem");
    assert.equal((await Deno.stat(key)).mode! & 0o777, 0o600);
    const text = await run("openssl", ["x509", "-in", cert, "-noout", "-text"]);
    assert.match(text, /Subject: CN\s*=\s*localhost/);
    assert.match(text, /DNS:localhost, IP Address:127\.0\.0\.1/);
    assert.match(text, /NIST CURVE: P-256/);
    assert.match(await run("openssl", ["pkey", "-in", key, "-noout", "-text"]), /P-256|prime256v1/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

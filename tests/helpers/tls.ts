/**
 * TLS for integration tests: a self-signed certificate made by
 * `scripts/make_cert.sh` in a temporary directory, the server flags that
 * use it, and the implicit-TLS port a server reports.
 *
 * @module
 */

import { join } from "node:path";
import { REPO_ROOT, type ServerProcess } from "./server_process.ts";

/** A certificate and key for localhost and 127.0.0.1. */
export interface TestCert {
  /** The directory holding both files. */
  dir: string;
  /** The PEM certificate; also the CA file clients must trust. */
  certFile: string;
  /** The PEM private key. */
  keyFile: string;
  /** The certificate's text, for `Deno.startTls({ caCerts })`. */
  pem: string;
  /** Removes the directory. */
  remove(): Promise<void>;
}

/**
 * Makes a certificate with the project's own script.
 *
 * @throws {Error} with the script's output when it fails
 */
export async function makeTestCert(): Promise<TestCert> {
  const dir = await Deno.makeTempDir({ prefix: "mail_tls_" });
  const out = await new Deno.Command("bash", {
    args: [join(REPO_ROOT, "scripts", "make_cert.sh"), dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    await Deno.remove(dir, { recursive: true });
    throw new Error(`make_cert.sh failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const certFile = join(dir, "cert.pem");
  return {
    dir,
    certFile,
    keyFile: join(dir, "key.pem"),
    pem: await Deno.readTextFile(certFile),
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Runs `fn` with a fresh certificate, removing it afterwards. */
export async function withTestCert<T>(fn: (cert: TestCert) => Promise<T>): Promise<T> {
  const cert = await makeTestCert();
  try {
    return await fn(cert);
  } finally {
    await cert.remove();
  }
}

/** The server flags for STARTTLS/STLS with `cert`, and an implicit-TLS listener on a free port when asked. */
export function tlsFlags(cert: TestCert, implicitPort = false): string[] {
  return ["--tls-cert", cert.certFile, "--tls-key", cert.keyFile, ...(implicitPort ? ["--tls-port", "0"] : [])];
}

/**
 * The implicit-TLS port from a server's start-up lines.
 *
 * @throws {Error} when the server printed none
 */
export function implicitTlsPort(server: ServerProcess): number {
  const m = /listening for implicit TLS on 127\.0\.0\.1:(\d+)$/m.exec(server.stdoutText());
  if (!m) throw new Error(`no implicit-TLS line in: ${server.stdoutText()}`);
  return Number(m[1]);
}

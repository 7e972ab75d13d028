/**
 * Runs `python_smtpd.py` (Python 3.11's standard smtpd module) as an SMTP
 * receiver that is not ours and that, unlike smtp-sink, announces SMTPUTF8
 * and SIZE.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** One message as Python's smtpd handed it over. */
export interface PythonMessage {
  /** The envelope sender. */
  mailfrom: string;
  /** The envelope recipients. */
  rcpttos: string[];
  /** The MAIL parameters, e.g. ["SIZE=300", "BODY=8BITMIME", "SMTPUTF8"]. */
  mail_options: string[];
  /** The message (dot-stuffing removed), as text. */
  text: string;
}

/** A running receiver. */
export interface PythonSmtpd {
  /** Its loopback port. */
  port: number;
  /** The messages received so far. */
  messages(): PythonMessage[];
}

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "python_smtpd.py");

/**
 * Starts the receiver, runs `fn`, then stops it, whatever `fn` did.
 *
 * @throws {Error} when python3 is missing or has no smtpd module (Python 3.12 removed it)
 */
export async function withPythonSmtpd<T>(fn: (smtpd: PythonSmtpd) => Promise<T>): Promise<T> {
  const child = new Deno.Command("python3", { args: [SCRIPT], stdin: "null", stdout: "piped", stderr: "piped" })
    .spawn();
  let out = "";
  let err = "";
  const drained = Promise.all([
    (async () => {
      for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) out += text;
    })(),
    (async () => {
      for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) err += text;
    })(),
  ]);
  try {
    const deadline = Date.now() + 10_000;
    while (!/^listening \d+\n/.test(out)) {
      if (Date.now() > deadline) {
        throw new Error(`python3 ${SCRIPT} did not start (Python 3.11 needed); stderr:\n${err}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const port = Number(/^listening (\d+)/.exec(out)![1]);
    const messages = () =>
      out.split("\n").slice(1).filter((l) => l !== "").map((line) => {
        const record = JSON.parse(line);
        const bytes = Uint8Array.from(atob(record.data), (c) => c.charCodeAt(0));
        return { ...record, text: new TextDecoder().decode(bytes) } as PythonMessage;
      });
    return await fn({ port, messages });
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    await child.status;
    await drained;
  }
}

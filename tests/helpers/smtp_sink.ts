/**
 * Runs Postfix's `smtp-sink` (Debian `postfix`) on a loopback port as an
 * SMTP receiver that is not ours, capturing each message to a file
 * (`-d`) with the envelope it came with.
 *
 * @module
 */

import { join } from "node:path";

/** The smtp-sink binary. */
const SMTP_SINK = "/usr/sbin/smtp-sink";
/** What to run when smtp-sink is missing (answer "No configuration" to Postfix's question). */
const POSTFIX_INSTALL = "apt-get install -y --no-install-recommends postfix";

/** One captured transaction. */
export interface SinkMessage {
  /** The MAIL command's arguments, e.g. "<a@b> BODY=8BITMIME". */
  mailArgs: string;
  /** The RCPT commands' arguments. */
  rcptArgs: string[];
  /** The message as received (dot-stuffing removed), with LF line ends and without smtp-sink's own lines. */
  message: string;
}

/** A running smtp-sink. */
export interface SmtpSink {
  /** Its loopback port. */
  port: number;
  /** The transactions captured so far, oldest first. */
  messages(): Promise<SinkMessage[]>;
}

/**
 * Starts smtp-sink with extra `flags` (e.g. "-8": no 8BITMIME), runs `fn`,
 * then stops it and removes its directory, whatever `fn` did.
 *
 * @throws {Error} saying what to install when smtp-sink is missing
 */
export async function withSmtpSink<T>(flags: string[], fn: (sink: SmtpSink) => Promise<T>): Promise<T> {
  const found = await Deno.stat(SMTP_SINK).then(() => true, () => false);
  if (!found) throw new Error(`${SMTP_SINK} is missing: install Postfix's test tools with "${POSTFIX_INSTALL}"`);
  const dir = await Deno.makeTempDir({ prefix: "smtp_sink_" });
  // As root smtp-sink must switch to another user, who then writes the captures.
  await Deno.chmod(dir, 0o777);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const user = Deno.uid() === 0 ? ["-u", "nobody"] : [];
  const child = new Deno.Command(SMTP_SINK, {
    args: [...user, ...flags, "-d", join(dir, "msg."), `127.0.0.1:${port}`, "10"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitForGreeting(port, child);
    return await fn({ port, messages: () => readCaptures(dir) });
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already exited; the status is still collected.
    }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}

async function readCaptures(dir: string): Promise<SinkMessage[]> {
  const files: { name: string; mtime: number }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    files.push({ name: entry.name, mtime: (await Deno.stat(join(dir, entry.name))).mtime?.getTime() ?? 0 });
  }
  files.sort((a, b) => a.mtime - b.mtime);
  return await Promise.all(files.map(async (f) => parseCapture(await Deno.readTextFile(join(dir, f.name)))));
}

/** Splits a capture into smtp-sink's records, its three-line Received field, and the message. */
function parseCapture(text: string): SinkMessage {
  const lines = text.split("\n");
  const received = lines.findIndex((l) => l.startsWith("Received: "));
  const records = lines.slice(0, received);
  const value = (name: string) => records.filter((l) => l.startsWith(`${name}: `)).map((l) => l.slice(name.length + 2));
  // The message follows the Received field's two continuation lines; smtp-sink ends the capture with an empty line.
  const message = lines.slice(received + 3).join("\n").replace(/\n$/, "");
  return { mailArgs: value("X-Mail-Args")[0] ?? "", rcptArgs: value("X-Rcpt-Args"), message };
}

async function waitForGreeting(port: number, child: Deno.ChildProcess): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !exited) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port }).catch(() => undefined);
    if (conn !== undefined) {
      const buffer = new Uint8Array(512);
      const n = await conn.read(buffer).catch(() => null);
      await conn.write(new TextEncoder().encode("QUIT\r\n")).catch(() => 0);
      conn.close();
      if (n !== null && new TextDecoder().decode(buffer.subarray(0, n)).startsWith("220")) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`smtp-sink did not greet on 127.0.0.1:${port}${exited ? " (it exited)" : ""}`);
}

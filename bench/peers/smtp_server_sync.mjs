// The like-for-like peer for bench/smtp_bench.ts: npm `smtp-server` on Node
// that accepts any recipient, appends each message to one mailbox file in
// the same record form as ours (dot-stuffed, ended by a "." line) and
// fdatasyncs before the 250 reply, one sync per message.
//
// Usage: node smtp_server_sync.mjs <port> <mailbox-file>
// Listens on 127.0.0.1, prints "listening on 127.0.0.1:<port>" when ready,
// and exits on SIGTERM or SIGINT.
import { open } from "node:fs/promises";
import { createRequire } from "node:module";

// Loaded through require so that `deno check bench/` does not try to resolve
// this Node-only package (it lives in bench/peers/node_modules).
const { SMTPServer } = createRequire(import.meta.url)("smtp-server");

const [portArg, mailboxPath] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || port < 1 || port > 65535 || !mailboxPath) {
  console.error("usage: node smtp_server_sync.mjs <port> <mailbox-file>");
  process.exit(2);
}

const mailbox = await open(mailboxPath, "a");
const TERMINATOR = Buffer.from(".\r\n");

/** Returns the message in stored form: lines starting with "." doubled. */
function dotStuff(message) {
  const text = message.toString("latin1");
  const stuffed = text.replace(/(^|\n)\./g, "$1..");
  return stuffed === text ? message : Buffer.from(stuffed, "latin1");
}

/** Appends one record and syncs it; resolves once it is durable. */
async function store(message) {
  let body = dotStuff(message);
  if (!body.subarray(-2).equals(Buffer.from("\r\n"))) {
    body = Buffer.concat([body, Buffer.from("\r\n")]);
  }
  // The handle is in append mode, so each write lands whole at the end.
  await mailbox.write(Buffer.concat([body, TERMINATOR]));
  await mailbox.datasync();
}

const server = new SMTPServer({
  secure: false,
  authOptional: true,
  disabledCommands: ["AUTH", "STARTTLS"],
  hideSTARTTLS: true,
  // No DNS: the reverse lookup would query the resolver, not loopback.
  disableReverseLookup: true,
  logger: false,
  onRcptTo(_address, _session, callback) {
    callback();
  },
  onData(stream, _session, callback) {
    const chunks = [];
    stream.on("data", (chunk) => chunks.push(chunk));
    stream.on("error", callback);
    stream.on("end", () => {
      store(Buffer.concat(chunks)).then(() => callback(), callback);
    });
  },
});

server.on("error", (err) => console.error("smtp_server_sync:", err.message));

function shutdown() {
  server.close(() => mailbox.close().finally(() => process.exit(0)));
  // Sessions still open would hold close(); do not wait for them long.
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

server.listen(port, "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${port}`);
});

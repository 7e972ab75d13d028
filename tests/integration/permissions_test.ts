/**
 * The programs run with exactly the permissions their tasks in deno.json
 * grant, and those suffice: delivery, retrieval, the client; and what lies
 * outside them (another root, another address, a user directory linked out
 * of the root) fails cleanly.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { decode } from "../helpers/bytes.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { POP3_READY } from "../helpers/pop3_server.ts";
import { makeTempRoot, REPO_ROOT, type ServerProcess, spawnServer, type TempRoot } from "../helpers/server_process.ts";
import { SEED_MAIL, SmtpClient } from "../helpers/smtp_client.ts";
import { SMTP_READY } from "../helpers/smtp_server.ts";

/** The environment variables the server tasks may read. */
const PG_ENV = "--allow-env=PG*,USER,USERNAME";

/** The Deno flags of a `deno run` task: everything between "run" and the script. */
async function taskFlags(task: string): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.json")));
  const words = String(config.tasks[task]).split(" ");
  assert.deepEqual(words.slice(0, 2), ["deno", "run"], `task ${task}`);
  const flags = words.slice(2, -1);
  // The one environment grant: the variables libpq and node-postgres read, for --store postgres://.
  const broad = flags.filter((f) => /^(-A|--allow-all|--allow-run|--allow-env|--allow-ffi)\b/.test(f) && f !== PG_ENV);
  assert.deepEqual(broad, [], flags.join(" "));
  return flags;
}

/** Starts a server as its task does, in `root` (its data root, "." to the task), on a free port. */
async function startAsTask(task: "smtp" | "pop3", root: string): Promise<ServerProcess> {
  const [script, ready] = task === "smtp" ? ["smtpmail.ts", SMTP_READY] : ["popserver.ts", POP3_READY];
  return await spawnServer({ script, args: ["0"], cwd: root, ready, permissions: await taskFlags(task) });
}

/** Runs a program with a task's permissions to its end, with stdin closed or fed `input`. */
async function runAsTask(task: string, script: string, args: string[], cwd: string, input = "") {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...await taskFlags(task), "--quiet", join(REPO_ROOT, script), ...args],
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input)).catch(() => {});
  await writer.close().catch(() => {});
  const out = await child.output();
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

async function withTaskServers(fn: (smtp: ServerProcess, pop3: ServerProcess, temp: TempRoot) => Promise<void>) {
  const temp = await makeTempRoot();
  try {
    const smtp = await startAsTask("smtp", temp.root);
    try {
      const pop3 = await startAsTask("pop3", temp.root);
      try {
        await fn(smtp, pop3, temp);
      } finally {
        await pop3.stop();
      }
    } finally {
      await smtp.stop();
    }
  } finally {
    await temp.remove();
  }
}

async function deliver(port: number, to: string): Promise<string> {
  const client = await SmtpClient.open(port);
  try {
    const reply = await client.send({ from: "stallings@localhost", to: [to], data: SEED_MAIL });
    await client.quit();
    return reply.last;
  } finally {
    await client.close();
  }
}

Deno.test("the smtp, pop3 and client tasks' permissions suffice to deliver, retrieve and log in", async () => {
  await withTaskServers(async (smtp, pop3) => {
    assert.match(await deliver(smtp.port, "andrew@localhost"), /^250 /);
    const client = await Pop3Client.login(pop3.port, "Andrew");
    try {
      const { message } = await client.retr(1);
      assert.match(decode(message), /^Subject: Network Lab Experiment 7\r$/m);
      await client.quit();
    } finally {
      await client.close();
    }
    const run = await runAsTask(
      "client",
      "mailclient.ts",
      ["127.0.0.1", String(smtp.port), String(pop3.port)],
      REPO_ROOT,
      "Andrew\n@dministr@tor\n3\n",
    );
    assert.equal(run.stderr, "");
    assert.equal(run.code, 0);
    assert.match(run.stdout, /Logged in as Andrew\./);
  });
});

Deno.test("the client task may write its --trace file in the current directory, and no other file", async () => {
  await withTaskServers(async (smtp, pop3, temp) => {
    const servers = ["127.0.0.1", String(smtp.port), String(pop3.port)];
    const run = await runAsTask(
      "client",
      "mailclient.ts",
      ["--trace", ...servers],
      temp.dir,
      "Andrew\n@dministr@tor\n3\n",
    );
    assert.equal(run.stderr, "");
    assert.equal(run.code, 0);
    const trace = await Deno.readTextFile(join(temp.dir, "mailclient-trace.log"));
    assert.match(trace, /^\S+ pop3\/1 C: PASS \*{4} +# RFC 1939 7 PASS: /m);
    const other = await runAsTask("client", "mailclient.ts", ["--trace=other.log", ...servers], temp.dir);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /^Cannot start: .*other\.log.*\(see "Permissions" in README\.md\)\n$/);
    await assert.rejects(Deno.stat(join(temp.dir, "other.log")), Deno.errors.NotFound);
  });
});

Deno.test("smtpmail with the smtp task's permissions does not write through a user directory linked out of the root", async () => {
  const outside = await Deno.makeTempDir({ prefix: "outside_root_" });
  const temp = await makeTempRoot();
  try {
    await Deno.symlink(outside, join(temp.root, "Andrew"));
    const smtp = await startAsTask("smtp", temp.root);
    try {
      assert.match(await deliver(smtp.port, "andrew@localhost"), /^451 4\.3\.0 /);
      assert.match(await deliver(smtp.port, "stallings@localhost"), /^250 /, "other users are served");
    } finally {
      await smtp.stop();
    }
    // The store refuses the link itself; the task's permissions would stop it next.
    assert.match(smtp.stderrText(), /outcome=failed: .*Refusing to follow the symbolic link at Andrew\n/);
    for await (const entry of Deno.readDir(outside)) {
      assert.equal((await Deno.stat(join(outside, entry.name))).size, 0, `${entry.name} outside the root got data`);
    }
  } finally {
    await temp.remove();
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("the servers say in one line when the task's permissions do not cover --root or --host", async (t) => {
  const temp = await makeTempRoot();
  const elsewhere = await makeTempRoot();
  try {
    for (const [task, script] of [["smtp", "smtpmail.ts"], ["pop3", "popserver.ts"]]) {
      await t.step(`${task}: --root outside the directory`, async () => {
        const run = await runAsTask(task, script, ["0", "--root", elsewhere.root], temp.root);
        assert.equal(run.code, 2);
        assert.match(run.stderr, /^Cannot start: Requires read access to ".*userlogincred\.txt".*Permissions/);
        assert.equal(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
      });
      await t.step(`${task}: --host other than 127.0.0.1`, async () => {
        const run = await runAsTask(task, script, ["0", "--host", "::1"], temp.root);
        assert.equal(run.code, 2);
        assert.match(
          run.stderr,
          /^Cannot start: Cannot listen on \[::1\]:0: not allowed; run Deno with --allow-net=\[::1\]/,
        );
        assert.equal(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
      });
    }
  } finally {
    await temp.remove();
    await elsewhere.remove();
  }
});

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { withLock } from "../../lib/mailbox/file/file_io.ts";
import { FileMailStore } from "../../lib/mailbox/file/file_store.ts";
import { mailStoreContract, type StoreFixture } from "./contract.ts";
import { assertBytes, bytesOf, concat, recordOf, simpleMessage, sizeOf } from "./helpers.ts";
import { assertMaildropMatches, maildropContract } from "./maildrop_contract.ts";

/** A fresh store over a temporary root. */
async function openFixture(): Promise<StoreFixture> {
  const root = await Deno.makeTempDir({ prefix: "mailbox_test_" });
  const store = new FileMailStore({ root });
  return {
    store,
    appendRaw: (user, bytes) => appendRaw(root, user, bytes),
    close: () => {
      store.close();
      return Deno.remove(root, { recursive: true });
    },
  };
}

mailStoreContract("FileMailStore", openFixture);
maildropContract("FileMailStore", openFixture);

/** Appends bytes to `ROOT/<user>/mymailbox` behind the store's back. */
async function appendRaw(root: string, user: string, bytes: Uint8Array): Promise<void> {
  await Deno.mkdir(join(root, user), { recursive: true });
  await Deno.writeFile(join(root, user, "mymailbox"), bytes, { append: true });
}

/** Runs `fn` with a fresh store over a temporary root, removed afterwards. */
async function withStore(fn: (store: FileMailStore, root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "mailbox_test_" });
  const store = new FileMailStore({ root });
  try {
    await fn(store, root);
  } finally {
    store.close();
    await Deno.remove(root, { recursive: true });
  }
}

/** Starts `deno eval` on `code` in `cwd` and waits for its first output line. */
async function spawnEval(code: string, cwd: string, env: Record<string, string>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    cwd,
    env,
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  return {
    line: text.trim(),
    async stop(): Promise<Deno.CommandStatus> {
      await child.stdin.close();
      await reader.cancel();
      return await child.status;
    },
  };
}

/** Holds an exclusive flock on `path` in another process until stopped. */
async function holdLock(path: string, cwd: string) {
  const code = `
    const file = await Deno.open(Deno.env.get("LOCK_PATH"), { read: true, write: true, create: true });
    await file.lock(true);
    console.log("locked");
    for await (const _ of Deno.stdin.readable);`;
  const holder = await spawnEval(code, cwd, { LOCK_PATH: path });
  assert.equal(holder.line, "locked");
  return holder;
}

/**
 * Runs `deno eval` on `code` with a file size limit of 512 KiB, so that
 * writes past it fail midway (EFBIG), and returns its output.
 */
async function runWithFileLimit(code: string, root: string): Promise<string> {
  const shell = `trap '' XFSZ; ulimit -f 512; exec "$DENO" eval "$CODE"`;
  const { stdout } = await new Deno.Command("bash", {
    args: ["-c", shell],
    cwd: root,
    env: { DENO: Deno.execPath(), CODE: code, ROOT: root },
  }).output();
  return new TextDecoder().decode(stdout);
}

const MESSAGE = simpleMessage("file", "Body.\r\n..dots\r\n");

Deno.test("FileMailStore appends records to ROOT/<User>/mymailbox with mode 0600", async () => {
  await withStore(async (store, root) => {
    await store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, "P1") });
    await store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, "P2") });
    const path = join(root, "Andrew", "mymailbox");
    const want = concat([...recordOf(MESSAGE, "P1"), ...recordOf(MESSAGE, "P2")]);
    assertBytes(await Deno.readFile(path), want);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  });
});

Deno.test("FileMailStore.deliver cuts torn tails of any length before appending", async () => {
  await withStore(async (store, root) => {
    const lengths = [1, 2, 3, 65533, 65534, 65535, 65536, 65537, 65538, 200000];
    for (const [i, length] of lengths.entries()) {
      const user = `User${i}`;
      await store.deliver({ users: [user], record: recordOf(MESSAGE, "T1") });
      const garbage = bytesOf(`Subject: torn\r\n\r\n${"\r\n.x".repeat(length)}`).subarray(0, length);
      await appendRaw(root, user, garbage);
      await store.deliver({ users: [user], record: recordOf(MESSAGE, "T2") });
      const want = concat([...recordOf(MESSAGE, "T1"), ...recordOf(MESSAGE, "T2")]);
      assertBytes(await Deno.readFile(join(root, user, "mymailbox")), want, `length ${length}`);
    }
  });
});

Deno.test("FileMailStore.deliver cuts a file that holds no complete record", async () => {
  await withStore(async (store, root) => {
    await appendRaw(root, "Andrew", bytesOf("From: a\nSubject: LF only\n\nbody\n.\n"));
    assert.deepEqual(await store.list("Andrew"), []);
    await store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, "C1") });
    assertBytes(await Deno.readFile(join(root, "Andrew", "mymailbox")), concat(recordOf(MESSAGE, "C1")));
  });
});

Deno.test("FileMailStore stores concurrent deliveries once each, in fewer syncs", async () => {
  await withStore(async (store, root) => {
    const expected = new Map<string, Uint8Array>();
    await Promise.all(Array.from({ length: 20 }, async (_, loop) => {
      for (let n = 0; n < 50; n++) {
        const id = `L${loop}N${n}`;
        const record = recordOf(simpleMessage(id, `${id}\r\n.dot\r\n`.repeat(n % 7 + 1)), id);
        expected.set(id, concat(record));
        await store.deliver({ users: ["Andrew"], record });
      }
    }));
    const file = await Deno.readFile(join(root, "Andrew", "mymailbox"));
    const records = await store.list("Andrew");
    assert.equal(records.length, 1000);
    assert.equal(new Set(records.map((r) => r.id)).size, 1000);
    for (const { id, offset, storedLength } of records) {
      assertBytes(file.subarray(offset, offset + storedLength), expected.get(id)!, id);
    }
    assert.equal(records.reduce((sum, r) => sum + r.storedLength, 0), file.length);
    const { deliveries, batches } = store.stats;
    assert.equal(deliveries, 1000);
    assert.ok(batches < deliveries / 2, `${batches} batches for ${deliveries} deliveries`);
  });
});

Deno.test("FileMailStore lists a mailbox larger than its read chunk", async () => {
  await withStore(async (store) => {
    const sizes: number[] = [];
    for (let i = 0; i < 120; i++) {
      const message = simpleMessage(`m${i}`, `.line ${i}\r\n${"x".repeat(i * 97)}\r\n`.repeat(i % 9 + 1));
      sizes.push(sizeOf(message, `Z${i}`));
      await store.deliver({ users: ["Andrew"], record: recordOf(message, `Z${i}`) });
    }
    const records = await store.list("Andrew");
    assert.deepEqual(records.map((r) => r.size), sizes);
    assert.deepEqual(records.map((r) => r.subject), sizes.map((_, i) => `m${i}`));
  });
});

Deno.test("FileMailStore.list hashes a large record without trace line", async () => {
  await withStore(async (store, root) => {
    const record = bytesOf(`Subject: no trace\r\n\r\n${"y".repeat(300000)}\r\n.\r\n`);
    await appendRaw(root, "Andrew", record);
    const [listed] = await store.list("Andrew");
    assert.equal(listed.id, createHash("sha256").update(record).digest("hex").slice(0, 32));
  });
});

Deno.test("FileMailStore.remove renames a synced copy and leaves no temporary file", async () => {
  await withStore(async (store, root) => {
    for (const id of ["A1", "A2"]) await store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, id) });
    await Deno.writeTextFile(join(root, "Andrew", "mymailbox.tmp"), "stale");
    await store.remove("Andrew", new Set(["A1"]));
    const names = [];
    for await (const entry of Deno.readDir(join(root, "Andrew"))) names.push(entry.name);
    assert.deepEqual(names.sort(), ["mymailbox", "mymailbox.idx", "mymailbox.lock"]);
    assertBytes(await Deno.readFile(join(root, "Andrew", "mymailbox")), concat(recordOf(MESSAGE, "A2")));
  });
});

Deno.test("FileMailStore.lockSession returns null while another process holds the lock", async () => {
  await withStore(async (store, root) => {
    await Deno.mkdir(join(root, "Andrew"));
    const holder = await holdLock(join(root, "Andrew", "mymailbox.pop.lock"), root);
    try {
      assert.equal(await store.lockSession("Andrew"), null);
    } finally {
      await holder.stop();
    }
    const lock = await store.lockSession("Andrew");
    assert.ok(lock);
    await lock.release();
  });
});

Deno.test("FileMailStore.deliver waits for the delivery lock of another process", async () => {
  await withStore(async (store, root) => {
    await Deno.mkdir(join(root, "Andrew"));
    const holder = await holdLock(join(root, "Andrew", "mymailbox.lock"), root);
    let stored = false;
    const delivery = store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, "W1") })
      .then(() => stored = true);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(stored, false);
    } finally {
      await holder.stop();
    }
    await delivery;
    assert.deepEqual((await store.list("Andrew")).map((r) => r.id), ["W1"]);
  });
});

Deno.test("FileMailStore.deliver truncates back a batch it could not write", async () => {
  await withStore(async (store, root) => {
    const code = `
      import { FileMailStore } from ${JSON.stringify(import.meta.resolve("../../lib/mailbox/file/file_store.ts"))};
      import { recordOf, simpleMessage } from ${JSON.stringify(import.meta.resolve("./helpers.ts"))};
      const store = new FileMailStore({ root: Deno.env.get("ROOT") });
      const deliver = (id, body) => store.deliver({ users: ["Andrew"], record: recordOf(simpleMessage(id, body), id) });
      await deliver("small", "x\\r\\n");
      console.log(await deliver("big", "y".repeat(1 << 20) + "\\r\\n").then(() => "stored", (e) => e.message));`;
    assert.match(await runWithFileLimit(code, root), /Cannot deliver to Andrew: File too large/);
    const small = concat(recordOf(simpleMessage("small", "x\r\n"), "small"));
    assertBytes(await Deno.readFile(join(root, "Andrew", "mymailbox")), small);
    await store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, "after") });
    assert.deepEqual((await store.list("Andrew")).map((r) => r.id), ["small", "after"]);
  });
});

Deno.test("FileMailStore stores no copy when one user's mailbox cannot be written", async () => {
  await withStore(async (store, root) => {
    await store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, "X0") });
    await Deno.mkdir(join(root, "Stallings", "mymailbox"), { recursive: true });
    await assert.rejects(
      store.deliver({ users: ["Andrew", "Stallings"], record: recordOf(MESSAGE, "X1") }),
      /Cannot deliver to Stallings: Is a directory/,
    );
    const { deliveries, batches } = store.stats;
    assert.deepEqual({ deliveries, batches }, { deliveries: 1, batches: 1 });
    await store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, "X2") });
    assert.deepEqual((await store.list("Andrew")).map((r) => r.id), ["X0", "X2"]);
  });
});

Deno.test("FileMailStore withdraws the copies stored before another copy failed", async () => {
  await withStore(async (store, root) => {
    await store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, "Y0") });
    const before = await Deno.readFile(join(root, "Andrew", "mymailbox"));
    // Stallings' mailbox is just under the child's file size limit, so only his copy fails.
    await appendRaw(root, "Stallings", concat(recordOf(simpleMessage("full", `${"f".repeat(500 * 1024)}\r\n`), "F0")));
    const code = `
      import { FileMailStore } from ${JSON.stringify(import.meta.resolve("../../lib/mailbox/file/file_store.ts"))};
      import { recordOf, simpleMessage } from ${JSON.stringify(import.meta.resolve("./helpers.ts"))};
      const store = new FileMailStore({ root: Deno.env.get("ROOT") });
      const record = recordOf(simpleMessage("both", "b".repeat(40000) + "\\r\\n"), "Y1");
      console.log(await store.deliver({ users: ["Andrew", "Stallings"], record }).then(() => "stored", (e) => e.message));`;
    assert.match(await runWithFileLimit(code, root), /Cannot deliver to Stallings: File too large/);
    assertBytes(await Deno.readFile(join(root, "Andrew", "mymailbox")), before);
    assert.deepEqual((await store.list("Stallings")).map((r) => r.id), ["F0"]);
    // The withdrawal rewrote Andrew's index, which had named the withdrawn copy.
    assert.deepEqual(await assertMaildropMatches(store, "Andrew"), ["Y0"]);
    assert.equal(store.stats.fullScans, 0);
  });
});

Deno.test("FileMailStore.openMaildrop waits for a delivery batch that holds the delivery lock", async () => {
  await withStore(async (store, root) => {
    await store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, "L1") });
    const { promise: release, resolve: releaseLock } = Promise.withResolvers<void>();
    const { promise: locked, resolve: lockTaken } = Promise.withResolvers<void>();
    // Another writer (a batch between its write and its sync) holds the lock.
    const holder = withLock(join(root, "Andrew", "mymailbox.lock"), () => {
      lockTaken();
      return release;
    });
    await locked;
    let opened = false;
    const maildrop = store.openMaildrop("Andrew").then((m) => {
      opened = true;
      return m;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(opened, false, "opened while a batch held the delivery lock");
    releaseLock();
    await holder;
    const drop = await maildrop;
    try {
      assert.equal(drop.count, 1);
      assert.equal(drop.id(0), "L1");
    } finally {
      drop.close();
    }
  });
});

Deno.test("FileMailStore.openMaildrop removes the replacement files a crashed rewrite left", async () => {
  await withStore(async (store, root) => {
    await store.deliver({ users: ["Andrew"], record: recordOf(MESSAGE, "T1") });
    const dir = join(root, "Andrew");
    await Deno.writeTextFile(join(dir, "mymailbox.tmp"), "half a copy");
    await Deno.writeTextFile(join(dir, "mymailbox.idx.tmp"), "half an index");
    const drop = await store.openMaildrop("Andrew");
    try {
      assert.equal(drop.id(0), "T1");
    } finally {
      drop.close();
    }
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names.sort(), ["mymailbox", "mymailbox.idx", "mymailbox.lock"]);
  });
});

Deno.test("FileMailStore refuses user names that are not plain directory names", async () => {
  await withStore(async (store) => {
    for (const user of ["", ".", "..", "../etc", "a/b", "a\\b", "a\0b"]) {
      await assert.rejects(store.deliver({ users: [user], record: recordOf(MESSAGE, "N1") }), TypeError);
      await assert.rejects(store.list(user), TypeError);
      await assert.rejects(store.lockSession(user), TypeError);
    }
  });
});

/**
 * The PostgreSQL store against the shared store and maildrop contracts,
 * on a private cluster (tests/helpers/postgres.ts), a fresh database per
 * case; and what only it does: the schema made once by front-ends that
 * start together, and the session lock across front-ends.
 */

import assert from "node:assert/strict";
// @ts-types="@types/pg"
import pg from "pg";
import { PostgresMailStore, StoreUnavailable } from "../../lib/mailbox/postgres/postgres_store.ts";
import { peer, peerTest } from "../helpers/peers.ts";
import { type PrivateCluster, startPostgres } from "../helpers/postgres.ts";
import { mailStoreCases, runCases, type StoreFixture } from "./contract.ts";
import { maildropCases } from "./maildrop_contract.ts";
import { assertBytes, concat, readAll, recordOf, simpleMessage } from "./helpers.ts";

const POSTGRES = peer("postgresql");

/** Makes a new database in the cluster and returns its URL. */
async function newDatabase(cluster: PrivateCluster, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return cluster.url.replace(/\/postgres$/, `/${name}`);
}

/** Opens a store on `url` that logs into `lines`. */
function openStore(url: string, lines: string[] = []): Promise<PostgresMailStore> {
  return PostgresMailStore.open({ url, application: "test", log: (line) => lines.push(line) });
}

/** Runs `fn` with a private cluster, removed afterwards. */
async function withCluster(fn: (cluster: PrivateCluster) => Promise<void>): Promise<void> {
  const cluster = await startPostgres();
  try {
    await fn(cluster);
  } finally {
    await cluster.remove();
  }
}

/** Runs `fn` with a store on a new database of a private cluster and an admin client on the same database. */
async function withStoreAndAdmin(name: string, fn: (store: PostgresMailStore, admin: pg.Client) => Promise<void>) {
  await withCluster(async (cluster) => {
    const url = await newDatabase(cluster, name);
    const store = await openStore(url);
    const admin = new pg.Client({ connectionString: url });
    try {
      await admin.connect();
      await fn(store, admin);
    } finally {
      await admin.end();
      await store.close();
    }
  });
}

peerTest(POSTGRES, "PostgresMailStore keeps the store and maildrop contracts", async (t) => {
  await withCluster(async (cluster) => {
    let databases = 0;
    const open = async (): Promise<StoreFixture> => {
      const store = await openStore(await newDatabase(cluster, `contract_${databases++}`));
      return { store, close: () => store.close() };
    };
    await runCases(t, mailStoreCases(false), open);
    await runCases(t, maildropCases(false), open);
  });
});

peerTest(
  POSTGRES,
  "PostgresMailStore: front-ends starting at once make the schema once, and share the lock",
  async () => {
    await withCluster(async (cluster) => {
      const url = await newDatabase(cluster, "shared");
      const [one, two] = await Promise.all([openStore(url), openStore(url)]);
      try {
        const record = recordOf(simpleMessage("shared", "Both see it.\r\n"), "S1");
        await one.deliver({ users: ["Andrew"], record });
        assert.deepEqual((await two.list("Andrew")).map((r) => r.id), ["S1"]);
        const lock = await one.lockSession("Andrew");
        assert.ok(lock);
        assert.equal(await two.lockSession("Andrew"), null, "the other front-end is refused");
        assert.equal(await one.lockSession("Andrew"), null, "so is a second session on the same one");
        await lock.release();
        const other = await two.lockSession("Andrew");
        assert.ok(other, "free once released");
        await other.release();
      } finally {
        await Promise.all([one.close(), two.close()]);
      }
    });
  },
);

peerTest(
  POSTGRES,
  "PostgresMailStore commits concurrent deliveries together, and one refused delivery fails no other",
  async () => {
    await withStoreAndAdmin("batches", async (store, admin) => {
      const deliver = (id: string) =>
        store.deliver({ users: ["Andrew", "Brian"], record: recordOf(simpleMessage(id, `Body ${id}.\r\n`), id) });
      const ids = Array.from({ length: 60 }, (_, i) => `B${i + 1}`);
      await Promise.all(ids.map(deliver));
      const [{ transactions }] = (await admin.query<{ transactions: string }>(
        "SELECT count(DISTINCT xmin::text) AS transactions FROM mail_messages",
      )).rows;
      console.log(`60 concurrent deliveries committed in ${transactions} transactions`);
      assert.ok(Number(transactions) < 30, `${transactions} transactions for 60 deliveries`);
      // B5 again, among new ones: the database refuses a second copy of a message id in one mailbox.
      const more = Array.from({ length: 20 }, (_, i) => `C${i + 1}`);
      const outcomes = await Promise.allSettled([...more.slice(0, 10), "B5", ...more.slice(10)].map(deliver));
      assert.deepEqual(outcomes.map((o) => o.status).filter((s) => s === "rejected").length, 1);
      assert.equal(outcomes[10].status, "rejected", "the repeated id is the one refused");
      // Concurrent deliveries have no order among themselves: compared as sets.
      const { rows } = await admin.query<{ mailbox: string; uid: string[] }>(
        `SELECT mailbox, array_agg(uid ORDER BY uid) AS uid FROM mail_messages GROUP BY mailbox ORDER BY mailbox`,
      );
      const all = [...ids, ...more].sort();
      assert.deepEqual(rows.map((r) => [r.mailbox, [...r.uid].sort()]), [["Andrew", all], ["Brian", all]]);
      const stored = await store.openMaildrop("Brian");
      const last = Array.from({ length: stored.count }, (_, i) => i).find((i) => stored.id(i) === "B60")!;
      const bytes = new Uint8Array(await new Response(ReadableStream.from(stored.read(last))).arrayBuffer());
      assert.match(new TextDecoder().decode(bytes), /Subject: B60\r\n[^]*Body B60\.\r\n\.\r\n$/);
      stored.close();
    });
  },
);

peerTest(
  POSTGRES,
  "PostgresMailStore stores a batch of messages that cross chunk boundaries, from pieces of any size, byte for byte",
  async () => {
    await withStoreAndAdmin("chunked_batch", async (store, admin) => {
      // Stored lengths around the 64 KiB chunk: one octet under, exactly one and two chunks, one octet over, and a
      // small and a larger one; a stuffed "." line in each, and each record handed over in pieces of 1, 7 and
      // 40,000 octets whose ends fall anywhere.
      const recordWithBody = (n: number, length: number) => {
        const body = Array.from({ length }, (_, i) => String.fromCharCode(0x21 + (i * 7 + n) % 94)).join("");
        return concat(recordOf(simpleMessage(`K${n}`, `.\r\n${body}\r\n`), `K${n}`));
      };
      const storedLengths = [200, 65_535, 65_536, 65_537, 131_072, 140_000];
      const records = storedLengths.map((storedLength, n) => {
        const whole = recordWithBody(n, storedLength - recordWithBody(n, 0).length);
        assert.equal(whole.length, storedLength);
        const pieces: Uint8Array[] = [];
        for (let at = 0, i = 0; at < whole.length; i++) {
          const length = [1, 7, 40_000][i % 3];
          pieces.push(whole.slice(at, at + length));
          at += length;
        }
        return { whole, pieces };
      });
      await Promise.all(records.map(({ pieces }) => store.deliver({ users: ["Andrew"], record: pieces })));
      for (const [n, { whole }] of records.entries()) {
        const [record] = (await store.list("Andrew")).filter((r) => r.id === `K${n}`);
        assertBytes(await readAll(store.read("Andrew", record)), whole);
        const { rows } = await admin.query<{ seq: number; length: number }>(
          `SELECT c.seq, octet_length(c.data) AS length FROM mail_chunks c JOIN mail_messages m ON m.id = c.message_id
        WHERE m.uid = $1 ORDER BY c.seq`,
          [`K${n}`],
        );
        const expected = Array.from(
          { length: Math.ceil(whole.length / 65_536) },
          (_, seq) => ({ seq, length: Math.min(65_536, whole.length - seq * 65_536) }),
        );
        assert.deepEqual(rows, expected, `the chunk rows of K${n}`);
      }
    });
  },
);

peerTest(
  POSTGRES,
  "PostgresMailStore's maildrop reads small messages ahead and gives each its own bytes, in any order",
  async () => {
    await withCluster(async (cluster) => {
      const store = await openStore(await newDatabase(cluster, "read_ahead"));
      try {
        // 400 messages, every seventh larger than what is read ahead, so that batches stop at them; each with octets
        // that are not UTF-8 (café in Latin-1, 0xff), kept as they are.
        const bodies = Array.from(
          { length: 400 },
          (_, i) => `${i % 7 === 3 ? "y".repeat(20_000) : "x".repeat(i)} caf\xe9 \xff\r\n`,
        );
        const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
        for (const [i, body] of bodies.entries()) {
          await store.deliver({ users: ["Andrew"], record: recordOf(latin1(simpleMessage(`m${i}`, body)), `R${i}`) });
        }
        const maildrop = await store.openMaildrop("Andrew");
        const text = async (i: number) => {
          let text = "";
          const decoder = new TextDecoder("latin1");
          for await (const part of maildrop.read(i)) text += decoder.decode(part, { stream: true });
          return text;
        };
        const isMessage = (i: number, text: string) =>
          text.includes(`Subject: m${i}\r\n`) && text.endsWith(`\r\n\r\n${bodies[i]}.\r\n`);
        const order = [...bodies.keys(), 399, 5, 200, 6, 7, 3, 0, 398, 397];
        for (const i of order) assert.ok(isMessage(i, await text(i)), `message ${i}`);
        // Two reads at once, as a client's pipelined RETRs never do but nothing forbids.
        const [a, b] = await Promise.all([text(100), text(101)]);
        assert.ok(isMessage(100, a) && isMessage(101, b));
        maildrop.close();
      } finally {
        await store.close();
      }
    });
  },
);

peerTest(POSTGRES, "PostgresMailStore.open names the host when the database cannot be reached", async () => {
  await withCluster(async (cluster) => {
    await cluster.halt();
    await assert.rejects(
      openStore(cluster.url),
      (error) =>
        error instanceof StoreUnavailable &&
        error.message.startsWith(`Cannot use the database at 127.0.0.1:${cluster.port}: `),
    );
  });
});

peerTest(
  POSTGRES,
  "PostgresMailStore takes the next host of the URL when one is down or, for read-write, read-only",
  async () => {
    await withCluster(async (first) => {
      await withCluster(async (second) => {
        const hosts = `postgres://postgres@127.0.0.1:${first.port},127.0.0.1:${second.port}/postgres`;
        const admin = new pg.Client({ connectionString: first.url });
        await admin.connect();
        await admin.query("ALTER SYSTEM SET default_transaction_read_only = on");
        await admin.query("SELECT pg_reload_conf()");
        await admin.end();
        const store = await openStore(`${hosts}?target_session_attrs=read-write`);
        try {
          await store.deliver({
            users: ["Andrew"],
            record: recordOf(simpleMessage("where", "On the writable one.\r\n"), "W1"),
          });
        } finally {
          await store.close();
        }
        const onSecond = await openStore(second.url);
        try {
          assert.deepEqual((await onSecond.list("Andrew")).map((r) => r.id), ["W1"], "stored on the read-write host");
        } finally {
          await onSecond.close();
        }
        await second.halt();
        await assert.rejects(openStore(`${hosts}?target_session_attrs=read-write`), StoreUnavailable, "none writable");
        await first.halt();
        await first.start();
        await second.start();
        const anyHost = await openStore(`postgres://postgres@127.0.0.1:1,127.0.0.1:${second.port}/postgres`);
        try {
          assert.deepEqual(
            (await anyHost.list("Andrew")).map((r) => r.id),
            ["W1"],
            "past a host that refuses connections",
          );
        } finally {
          await anyHost.close();
        }
      });
    });
  },
);

peerTest(POSTGRES, "PostgresMailStore serving sessions makes the connection for their locks at start", async () => {
  await withCluster(async (cluster) => {
    const url = await newDatabase(cluster, "eager_locks");
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    const connections = async (application: string) => {
      const { rows } = await admin.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
        [application],
      );
      return rows[0].n;
    };
    const lazy = await PostgresMailStore.open({ url, application: "lazy", log: () => {} });
    const eager = await PostgresMailStore.open({ url, application: "eager", sessions: true, log: () => {} });
    try {
      assert.equal(await connections("eager"), await connections("lazy") + 1);
      const lock = await eager.lockSession("Andrew");
      assert.ok(lock);
      assert.equal(await connections("eager"), await connections("lazy") + 1, "the login used the one made at start");
      await lock.release();
    } finally {
      await lazy.close();
      await eager.close();
      await admin.end();
    }
  });
});

peerTest(POSTGRES, "PostgresMailStore keeps one pooled connection open through an idle spell", async () => {
  await withCluster(async (cluster) => {
    const url = await newDatabase(cluster, "idle_pool");
    // Idle connections beyond the first close after a second here (ten by default).
    const store = await PostgresMailStore.open({ url, application: "idle_pool", idleTimeoutMs: 1_000, log: () => {} });
    const admin = new pg.Client({ connectionString: cluster.url });
    try {
      await admin.connect();
      const connections = async () => {
        const { rows } = await admin.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'idle_pool'",
        );
        return rows[0].n;
      };
      // Deliveries with a quota each run in a transaction of their own: three at once, for three users, take three
      // pooled connections.
      await Promise.all(
        ["Andrew", "Brian", "Charles"].map((user, i) =>
          store.deliver({ users: [user], record: recordOf(simpleMessage(`I${i}`, "Idle.\r\n"), `I${i}`), quota: 1e6 })
        ),
      );
      assert.ok(await connections() >= 2, "several connections while busy");
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      assert.equal(await connections(), 1, "one left after the idle spell");
      assert.deepEqual((await store.list("Brian")).map((r) => r.id), ["I1"]);
    } finally {
      await admin.end();
      await store.close();
    }
  });
});

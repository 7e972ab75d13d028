import assert from "node:assert/strict";
import {
  type Cell,
  checkAhead,
  checkCeilingShare,
  checkTargets,
  formatTable,
  oneSessionCeiling,
} from "../../bench/report.ts";
import { splitLoad } from "../../bench/smtp_bench.ts";
import { measureSyncFloor } from "../../bench/sync_floor.ts";

const cell = (server: string, sessions: number, rates: number[], inMailbox: number[] = []): Cell => ({
  server,
  sessions,
  rates,
  peakRss: [70 * 2 ** 20],
  inMailbox,
});

Deno.test("the one-session ceiling adds one sync to smtp-sink's time per message", () => {
  const cells = [cell("smtp-sink", 1, [3900, 4000, 4100]), cell("smtp-server", 1, [1000, 1250, 1300])];
  const ceiling = oneSessionCeiling(cells, 250);
  assert.ok(ceiling !== null);
  assert.equal(ceiling.exchangeMicros, 250);
  assert.equal(ceiling.rate, 2000);
  assert.equal(ceiling.ratioVsSmtpServer, 1.6);
});

Deno.test("no one-session ceiling without smtp-sink or smtp-server at one session", () => {
  assert.equal(oneSessionCeiling([cell("smtp-server", 1, [1000])], 250), null);
  assert.equal(oneSessionCeiling([cell("smtp-sink", 1, [4000]), cell("smtp-server", 10, [5000])], 250), null);
});

Deno.test("targets compare medians with the smtp-server peer in the same run", () => {
  const cells = [
    cell("smtpmail", 1, [900, 1600, 1500]),
    cell("smtp-server", 1, [1000]),
    cell("smtpmail", 50, [7000]),
    cell("smtp-server", 50, [5000]),
  ];
  const verdicts = checkTargets(cells, "smtpmail");
  assert.deepEqual(verdicts.map((v) => v.ok), [true, false, true]);
  assert.match(verdicts[0].text, />= 1\.0x smtp-server with sessions=1: 1\.50x/);
  assert.match(verdicts[1].text, />= 1\.5x smtp-server with sessions=50: 1\.40x/);
  assert.match(verdicts[2].text, /peak RSS <= 80 MiB with sessions=50: 70\.0 MiB/);
});

Deno.test("checkCeilingShare compares our one-session median with the ceiling", () => {
  const cells = [cell("smtpmail", 1, [700, 800, 900]), cell("smtp-sink", 1, [4000]), cell("smtp-server", 1, [1000])];
  const ceiling = oneSessionCeiling(cells, 750)!;
  assert.deepEqual(checkCeilingShare(cells, "smtpmail", ceiling), {
    text: "smtpmail msg/s >= 80% of the one-session ceiling: 80%",
    ok: true,
  });
  const slower = [cell("smtpmail", 1, [790]), ...cells.slice(1)];
  assert.equal(checkCeilingShare(slower, "smtpmail", ceiling)?.ok, false);
  assert.equal(checkCeilingShare(cells.slice(1), "smtpmail", ceiling), null);
});

Deno.test("checkAhead compares medians with the peer at each session count both were measured at", () => {
  const cells = [
    cell("smtpmail", 1, [900, 1000, 1100]),
    cell("postfix", 1, [400]),
    cell("smtpmail", 10, [300]),
    cell("postfix", 10, [300]),
    cell("smtpmail", 50, [7000]),
  ];
  assert.deepEqual(checkAhead(cells, "smtpmail", "postfix"), [
    { text: "smtpmail msg/s ahead of postfix with sessions=1: 2.50x", ok: true },
    { text: "smtpmail msg/s ahead of postfix with sessions=10: 1.00x", ok: false },
  ]);
});

Deno.test("formatTable shows the time to the mailbox and the ratio to postfix, '-' where there is none", () => {
  const table = formatTable([
    cell("smtpmail", 10, [4000], [2.5]),
    cell("postfix", 10, [500], [20, 21, 22]),
    cell("smtp-sink", 10, [20000]),
  ]).split("\n");
  assert.match(
    table[0],
    /\| msg\/s \(median\) \| in mailbox s \(median\) \| peak RSS MiB \(max\) \| vs smtp-server \| vs postfix \|/,
  );
  assert.match(table[2], /^\| smtpmail +\| 10 +\| +4000 \| +2\.50 \| +70\.0 \| +- \| +8\.00x \| +0\.20x \|$/);
  assert.match(table[3], /^\| postfix +\| 10 +\| +500 \| +21\.00 \| +70\.0 \| +- \| +1\.00x \| +0\.03x \|$/);
  assert.match(table[4], /^\| smtp-sink +\| 10 +\| +20000 \| +- \| +70\.0 \| +- \| +40\.00x \| +1\.00x \|$/);
});

Deno.test("the sync floor probe resolves to the median time of its syncs", async () => {
  const micros = await measureSyncFloor({ count: 20, size: 4096, gapMicros: 0 });
  assert.ok(Number.isInteger(micros) && micros > 0, `got ${micros}`);
});

Deno.test("the sync floor probe exits 2 on a bad command line", async () => {
  const script = new URL("../../bench/sync_floor.py", import.meta.url).pathname;
  const { code, stderr } = await new Deno.Command("python3", { args: [script, "/tmp"], stderr: "piped" }).output();
  assert.equal(code, 2);
  assert.match(new TextDecoder().decode(stderr), /^Usage: python3 sync_floor.py DIR COUNT SIZE GAP_US\n$/);
});

Deno.test("a load split between processes keeps every session and message, none for a process without a session", () => {
  assert.deepEqual(splitLoad(1, 2000, 2), [{ sessions: 1, messages: 2000 }]);
  assert.deepEqual(splitLoad(10, 10000, 2), [{ sessions: 5, messages: 5000 }, { sessions: 5, messages: 5000 }]);
  assert.deepEqual(splitLoad(5, 1001, 2), [{ sessions: 3, messages: 601 }, { sessions: 2, messages: 400 }]);
  assert.deepEqual(splitLoad(50, 10000, 1), [{ sessions: 50, messages: 10000 }]);
});

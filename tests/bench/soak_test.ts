import assert from "node:assert/strict";
import { parseSoakArgs } from "../../bench/soak/args.ts";
import { formatShares, Mix, narrowMix } from "../../bench/soak/mix.ts";
import { formatCount, niceTicks, renderChart } from "../../bench/soak/svg.ts";

Deno.test("Mix gives each kind its weight in every round and spreads it evenly", () => {
  const mix = new Mix({ a: 5, b: 3, c: 2, d: 0 });
  const picks = Array.from({ length: 20 }, () => mix.next());
  for (const round of [picks.slice(0, 10), picks.slice(10)]) {
    assert.deepEqual(
      { a: round.filter((k) => k === "a").length, b: round.filter((k) => k === "b").length },
      { a: 5, b: 3 },
    );
    assert.equal(round.filter((k) => k === "c").length, 2);
  }
  assert.ok(!picks.includes("d"));
  assert.deepEqual(picks.slice(0, 10), ["a", "b", "c", "a", "a", "b", "a", "c", "b", "a"]);
  assert.equal(formatShares(mix.shares()), "a 50%, b 30%, c 20%");
});

Deno.test("Mix refuses weights that are all 0 or not integers", () => {
  assert.throws(() => new Mix({ a: 0 }), RangeError);
  assert.throws(() => new Mix({ a: 1.5 }), RangeError);
});

Deno.test("narrowMix keeps only the kinds named, and names an unknown one", () => {
  assert.deepEqual(narrowMix({ a: 2, b: 3 }, ["b"]), { weights: { a: 0, b: 3 } });
  assert.deepEqual(narrowMix({ a: 2, b: 3 }, []), { weights: { a: 2, b: 3 } });
  assert.deepEqual(narrowMix({ a: 2, b: 3 }, ["c"]), { unknown: "c" });
});

Deno.test("niceTicks steps by 1, 2 or 5 times a power of ten up to the maximum", () => {
  assert.deepEqual(niceTicks(1_000_000), [0, 200000, 400000, 600000, 800000, 1000000]);
  assert.deepEqual(niceTicks(73.4), [0, 10, 20, 30, 40, 50, 60, 70, 80]);
  assert.deepEqual(niceTicks(0.3), [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]);
  assert.throws(() => niceTicks(0), RangeError);
});

Deno.test("renderChart draws both series, the axes, the legend and the mark", () => {
  const svg = renderChart({
    title: "memory <test>",
    xLabel: "sessions",
    yLabel: "MiB",
    formatX: formatCount,
    series: [
      { name: "RSS", color: "#111111", points: [[0, 60], [500_000, 64], [1_000_000, 63]] },
      { name: "heap", color: "#222222", points: [[0, 10], [1_000_000, 12]] },
    ],
    marks: [{ y: 70, label: "limit", color: "#333333" }],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  assert.equal(svg.match(/<polyline /g)?.length, 2);
  assert.match(svg, /memory &lt;test&gt;/);
  assert.match(svg, />1M</);
  assert.match(svg, />400k</);
  assert.match(svg, /stroke-dasharray="6 4"/);
  assert.match(svg, />limit</);
  // The y axis ends at the tick above the mark: 80 MiB at the top of the plot (y = 64).
  assert.match(svg, /y="68" text-anchor="end">80</);
  assert.throws(() => renderChart({ title: "", xLabel: "", yLabel: "", formatX: String, series: [] }), RangeError);
});

Deno.test("parseSoakArgs takes the issue's defaults and refuses bad flags in one line", () => {
  const parsed = parseSoakArgs([]);
  assert.ok("options" in parsed);
  assert.deepEqual(parsed.options, {
    sessions: 1_000_000,
    concurrency: 100,
    servers: ["smtp", "pop3"],
    out: "bench/soak-results",
    only: [],
    intervalSeconds: 10,
    maxMinutes: undefined,
  });
  const limited = parseSoakArgs(["--max-minutes", "40", "--servers", "pop3"]);
  assert.ok("options" in limited && limited.options.maxMinutes === 40 && limited.options.servers[0] === "pop3");
  for (
    const [args, message] of [
      [["--sessions", "0"], "Cannot parse --sessions: 0"],
      [["--concurrency", "x"], "Cannot parse --concurrency: x"],
      [["--servers", "imap"], "Cannot parse --servers: imap (choose from smtp,pop3)"],
      [["--max-minutes", "soon"], "Cannot parse --max-minutes: soon"],
    ] as const
  ) {
    assert.deepEqual(parseSoakArgs([...args]), { error: message });
  }
  const unknown = parseSoakArgs(["--bogus"]);
  assert.ok("error" in unknown && !unknown.error.includes("\n"));
});

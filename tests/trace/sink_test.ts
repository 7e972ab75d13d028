/**
 * TraceSink: records of one event-loop turn leave in one write, in order;
 * a slow output never holds up the caller and loses lines only past its
 * bound, saying how many; a failing output stops the trace, not the caller.
 */

import assert from "node:assert/strict";
import type { TraceRecord } from "../../lib/trace/record.ts";
import { TraceSink } from "../../lib/trace/sink.ts";

const decoder = new TextDecoder();

/** An output that keeps what it is given, answering each write when `release` is called if `slow`. */
class FakeOutput {
  writes: string[] = [];
  slow = false;
  fail = false;
  #waiting: (() => void)[] = [];

  write(bytes: Uint8Array): Promise<number> {
    if (this.fail) return Promise.reject(new Error("broken pipe"));
    // Takes at most 1,000 bytes a call, as a pipe may.
    const taken = bytes.subarray(0, 1000);
    this.writes.push(decoder.decode(taken));
    if (!this.slow) return Promise.resolve(taken.length);
    return new Promise((resolve) => this.#waiting.push(() => resolve(taken.length)));
  }

  release(): void {
    for (const go of this.#waiting.splice(0)) go();
  }

  get text(): string {
    return this.writes.join("");
  }
}

function record(line: string, session = 1): TraceRecord {
  return { time: new Date(0), protocol: "pop3", session, direction: "S", line, note: "n" };
}

Deno.test("TraceSink writes the records of one turn in one write, in order, and numbers sessions", async () => {
  const output = new FakeOutput();
  const sink = new TraceSink({ format: "json", protocol: "pop3", output });
  assert.deepEqual([sink.session().session, sink.session().session], [1, 2]);
  sink.record(record("a"));
  sink.record(record("b", 2));
  assert.deepEqual(output.writes, [], "nothing is written during the turn");
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(output.writes.length, 1);
  sink.record(record("c"));
  await sink.close();
  const lines = output.text.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => [l.session, l.line]), [[1, "a"], [2, "b"], [1, "c"]]);
});

Deno.test("TraceSink finishes long texts written in parts, and close waits for them", async () => {
  const output = new FakeOutput();
  const sink = new TraceSink({ format: "text", protocol: "pop3", output });
  for (let i = 0; i < 100; i++) sink.record(record(`line ${i}`));
  await sink.close();
  assert.ok(output.writes.length > 5);
  const lines = output.text.trimEnd().split("\n");
  assert.equal(lines.length, 100);
  assert.ok(lines[99].includes("S: line 99"), lines[99]);
});

Deno.test("TraceSink never waits for a slow output: past its bound it drops lines and says how many", async () => {
  const output = new FakeOutput();
  output.slow = true;
  const sink = new TraceSink({ format: "text", protocol: "pop3", output });
  sink.record(record("first"));
  await new Promise((resolve) => setTimeout(resolve, 5));
  const line = "x".repeat(100);
  for (let i = 0; i < 20_000; i++) sink.record(record(line));
  output.slow = false;
  output.release();
  await new Promise((resolve) => setTimeout(resolve, 20));
  sink.record(record("last"));
  await sink.close();
  const lines = output.text.trimEnd().split("\n");
  const dropped = lines.find((l) => / -- \d+ trace lines dropped /.test(l));
  assert.ok(dropped, "a line says how many were dropped");
  const count = Number(/-- (\d+) trace lines dropped/.exec(dropped)![1]);
  assert.equal(lines.length - 1 + count, 20_002, "every record written or counted");
  assert.ok(lines.at(-1)!.includes("S: last"));
});

Deno.test("TraceSink stops at a failing output, reports it once, and never throws", async () => {
  const output = new FakeOutput();
  output.fail = true;
  const errors: string[] = [];
  const sink = new TraceSink({ format: "text", protocol: "pop3", output, onError: (m) => errors.push(m) });
  sink.record(record("a"));
  await new Promise((resolve) => setTimeout(resolve, 5));
  sink.record(record("b"));
  await sink.close();
  assert.deepEqual(errors, ["trace output failed, tracing stops: broken pipe"]);
});

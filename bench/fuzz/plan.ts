/**
 * What one fuzz session is (the bytes a client writes, in which pieces, and
 * how it ends) and the byte-level mutations that turn a valid conversation
 * into a hostile one: bit flips, truncation, CR/LF and end-marker
 * injection, deleted and repeated ranges, huge runs, random binary.
 *
 * Sessions are drawn as small plans (fast-check values) and turned into
 * bytes only when they run, so a batch of plans holding a 4 MiB line costs
 * nothing until that session is played.
 *
 * @module
 */

import fc from "fast-check";
import { concatBytes } from "../../lib/bytes.ts";

/**
 * How a session ends once its last piece is written:
 * - `quit`: the last command was QUIT; the server must close the connection;
 * - `fin`: the client shuts down its sending side; the server must answer what
 *   it got and close;
 * - `close`: the client closes at once without reading more (abrupt close);
 * - `reset`: the client resets the connection (TCP RST).
 */
export type Ending = "quit" | "fin" | "close" | "reset";

/** One session as played: the writes in order, and how it ends. */
export interface FuzzSession {
  /** Which generator made it, e.g. "valid", "mutated", "stream", "huge", "binary", "burst". */
  kind: string;
  /** The pieces written, each with its own socket write, in order. */
  writes: Uint8Array[];
  /** True: wait for a reply line after each piece (a client that does not pipeline). */
  lockstep: boolean;
  /** What the client does after the last piece. */
  ending: Ending;
}

/** A plan for a session: call it to get the bytes (built only when the session runs). */
export type SessionPlan = () => FuzzSession;

/** A client conversation in turns: each turn is written whole and, in lockstep, answered before the next. */
export interface Conversation {
  /** The turns, each with its line ends. */
  turns: string[];
  /** True when the last turn is QUIT and nothing before it can have swallowed it. */
  endsWithQuit: boolean;
}

const encoder = new TextEncoder();

/** One edit of a byte stream; positions are taken modulo the stream's length. */
export type ByteMutation =
  | { op: "flip"; at: number; mask: number }
  | { op: "truncate"; at: number }
  | { op: "inject"; at: number; what: string }
  | { op: "delete"; at: number; n: number }
  | { op: "repeat"; at: number; n: number; times: number }
  | { op: "huge"; at: number; n: number; fill: number; lineEnd: boolean }
  | { op: "binary"; at: number; bytes: Uint8Array };

/** Sequences that end lines, fake end markers and smuggling attempts (the 2023 SMTP smuggling forms among them). */
const INJECTIONS = [
  "\r",
  "\n",
  "\r\n",
  "\r\n.\r\n",
  "\n.\n",
  "\r\n.\n",
  "\n.\r\n",
  "\r.\r",
  ".",
  "\0",
  "\r\n\r\n",
  "QUIT\r\n",
  "RSET\r\n",
  "DATA\r\n",
  "\r\nQUIT\r\n",
  "\xff\xfe",
];

/** Sizes of huge runs: mostly a few KiB past the line limits, sometimes MiBs. */
const hugeSize = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 500, max: 20_000 }) },
  { weight: 3, arbitrary: fc.integer({ min: 20_000, max: 300_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000_000, max: 4_000_000 }) },
);

/** Draws one byte-level mutation. */
export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant("flip" as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }) },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant("inject" as const), at: fc.nat(), what: fc.constantFrom(...INJECTIONS) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("delete" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 64 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("repeat" as const),
      at: fc.nat(),
      n: fc.integer({ min: 1, max: 200 }),
      times: fc.integer({ min: 2, max: 50 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("huge" as const),
      at: fc.nat(),
      n: hugeSize,
      fill: fc.constantFrom(0x41, 0x2e, 0x20, 0x00, 0xff),
      lineEnd: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("binary" as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 256 }),
    }),
  },
);

/** Applies the mutations in order to a copy of `data`. */
export function mutateBytes(data: Uint8Array, edits: readonly ByteMutation[]): Uint8Array {
  let b = data;
  for (const m of edits) {
    const at = m.at % (b.length + 1);
    switch (m.op) {
      case "flip":
        if (at < b.length) {
          b = b.slice();
          b[at] ^= m.mask;
        }
        break;
      case "truncate":
        b = b.subarray(0, at);
        break;
      case "inject":
        b = splice(b, at, 0, latin1Bytes(m.what));
        break;
      case "delete":
        b = splice(b, at, m.n, new Uint8Array());
        break;
      case "repeat": {
        const piece = b.subarray(at, at + m.n);
        b = splice(b, at, 0, repeatBytes(piece, m.times - 1));
        break;
      }
      case "huge": {
        const run = new Uint8Array(m.n + (m.lineEnd ? 2 : 0)).fill(m.fill);
        if (m.lineEnd) run.set([0x0d, 0x0a], m.n);
        b = splice(b, at, 0, run);
        break;
      }
      case "binary":
        b = splice(b, at, 0, m.bytes);
        break;
    }
  }
  return b;
}

/** How a stream is cut into writes; see `cut`. */
export type Chunking =
  | { how: "whole" }
  | { how: "turns" }
  | { how: "sizes"; sizes: number[] }
  | { how: "bytes" };

/** Draws a chunking: one burst, turn by turn, random sizes, or single octets (short streams only). */
export const chunking: fc.Arbitrary<Chunking> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ how: "whole" as const }) },
  { weight: 3, arbitrary: fc.constant({ how: "turns" as const }) },
  {
    weight: 3,
    arbitrary: fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 5 })
      .map((sizes) => ({ how: "sizes" as const, sizes })),
  },
  { weight: 1, arbitrary: fc.constant({ how: "bytes" as const }) },
);

/**
 * Cuts `turns` (already bytes) into writes. Single octets are used only for
 * streams under 2 KiB, so one session never takes thousands of writes.
 */
export function cut(turns: readonly Uint8Array[], how: Chunking): Uint8Array[] {
  const pieces = turns.filter((t) => t.length > 0);
  if (how.how === "turns") return pieces;
  const all = concatBytes(pieces);
  if (how.how === "whole") return all.length === 0 ? [] : [all];
  const sizes = how.how === "bytes" && all.length < 2048 ? [1] : how.how === "sizes" ? how.sizes : [1400];
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < all.length; i++) {
    const size = sizes[i % sizes.length];
    out.push(all.subarray(at, at + size));
    at += size;
  }
  return out;
}

/** Draws how a session that may have left the protocol mid-way ends: never `quit`, which it cannot promise. */
export const abruptEnding: fc.Arbitrary<Ending> = fc.constantFrom<Ending>("fin", "fin", "fin", "close", "reset");

/**
 * A mutated session from a valid conversation: 1-4 byte mutations over the
 * whole stream, cut into writes, ended by FIN, close or reset.
 */
export function mutatedFrom(conversation: fc.Arbitrary<Conversation>): fc.Arbitrary<SessionPlan> {
  return fc.tuple(conversation, fc.array(byteMutation, { minLength: 1, maxLength: 4 }), chunking, abruptEnding)
    .map(([c, edits, how, ending]) => () => ({
      kind: "mutated",
      writes: cut([mutateBytes(utf8(c.turns.join("")), edits)], how),
      lockstep: false,
      ending,
    }));
}

/**
 * A valid conversation as a session: in lockstep or pipelined, ended by
 * its QUIT, or abruptly (close or reset) before or after it.
 */
export function validFrom(conversation: fc.Arbitrary<Conversation>): fc.Arbitrary<SessionPlan> {
  return fc.tuple(conversation, fc.boolean(), chunking, fc.constantFrom<Ending>("quit", "quit", "quit", "fin", "close"))
    .map(([c, lockstep, how, end]) => () => {
      const turns = c.turns.map(utf8);
      const ending: Ending = end === "quit" && !c.endsWithQuit ? "fin" : end;
      return { kind: "valid", writes: lockstep ? turns : cut(turns, how), lockstep, ending };
    });
}

/**
 * How a pipelined burst ends: with its QUIT, or with FIN or a close right
 * after its last command, while the server still has replies to send.
 */
export const burstEnding: fc.Arbitrary<{ quit: string; ending: Ending }> = fc.constantFrom(
  { quit: "QUIT\r\n", ending: "quit" as const },
  { quit: "", ending: "fin" as const },
  { quit: "", ending: "close" as const },
);

/** Random binary: a session of noise, ended any way but QUIT. */
export const binarySession: fc.Arbitrary<SessionPlan> = fc.tuple(
  fc.uint8Array({ minLength: 1, maxLength: 4096 }),
  chunking,
  abruptEnding,
).map(([bytes, how, ending]) => () => ({ kind: "binary", writes: cut([bytes], how), lockstep: false, ending }));

/**
 * A huge line in some phase: `prefix` (the conversation up to that phase),
 * then `n` octets with or without a line end, then `suffix`.
 */
export function hugeSession(phases: fc.Arbitrary<{ prefix: string; suffix: string }>): fc.Arbitrary<SessionPlan> {
  return fc.tuple(phases, hugeSize, fc.constantFrom(0x41, 0x2e, 0x00, 0xff), fc.boolean(), abruptEnding)
    .map(([phase, n, fill, lineEnd, ending]) => () => {
      const run = new Uint8Array(n + (lineEnd ? 2 : 0)).fill(fill);
      if (lineEnd) run.set([0x0d, 0x0a], n);
      return {
        kind: "huge",
        writes: cut([utf8(phase.prefix), run, utf8(phase.suffix)], { how: "sizes", sizes: [65536] }),
        lockstep: false,
        ending,
      };
    });
}

/** A string whose characters stand for octets (U+0000-U+00FF), as those octets. */
export function latin1Bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/** Text as UTF-8. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

function splice(b: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  return concatBytes([b.subarray(0, at), insert, b.subarray(Math.min(b.length, at + remove))]);
}

function repeatBytes(piece: Uint8Array, times: number): Uint8Array {
  return concatBytes(Array.from({ length: times }, () => piece));
}

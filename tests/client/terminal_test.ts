/**
 * ConsoleInput on piped input: lines with either line end, a last line
 * without one, a key as the first character of a line, the password as a
 * line, and the end of input. (The terminal path runs in pty_test.ts.)
 */

import assert from "node:assert/strict";
import { ConsoleInput } from "../../lib/client/terminal.ts";
import { CapturedOutput, pipedText } from "../helpers/client_io.ts";

function input(text: string, chunk?: number): { console: ConsoleInput; screen: CapturedOutput } {
  const screen = new CapturedOutput();
  return { console: new ConsoleInput({ source: pipedText(text, chunk), screen }), screen };
}

Deno.test("ConsoleInput.readLine splits LF and CRLF lines across chunks and keeps a last unterminated line", async () => {
  for (const chunk of [1, 3, 4096]) {
    const { console } = input("one\r\ntwo\n\nGrüße\nlast", chunk);
    const lines = [];
    for (let line = await console.readLine("> "); line !== null; line = await console.readLine("> ")) lines.push(line);
    assert.deepEqual(lines, ["one", "two", "", "Grüße", "last"], `chunk ${chunk}`);
    assert.equal(await console.readLine("> "), null);
  }
});

Deno.test("ConsoleInput.readKey takes the first character of a line when piped", async () => {
  const { console, screen } = input("d\nquit\n\néx\n");
  assert.deepEqual(
    [
      await console.readKey("? "),
      await console.readKey("? "),
      await console.readKey("? "),
      await console.readKey("? "),
    ],
    ["d", "q", "", "é"],
  );
  assert.equal(await console.readKey("? "), null);
  assert.equal(screen.text, "? ? ? ? ? ", "prompts only: piped input is not echoed");
});

Deno.test("ConsoleInput.readSecret reads a line when piped, spaces and all", async () => {
  const { console, screen } = input(" pass word \n");
  assert.equal(await console.readSecret("P: "), " pass word ");
  assert.equal(await console.readSecret("P: "), null);
  assert.equal(screen.text, "P: P: ");
});

/**
 * A ConsoleInput that believes its source is a terminal (cbreak switches do
 * nothing here), fed one read per key as a person types.
 */
function terminalInput(keys: string[]): { console: ConsoleInput; screen: CapturedOutput } {
  const screen = new CapturedOutput();
  const terminal = { setRaw: () => {} };
  const reads = keys.map((key) => new TextEncoder().encode(key));
  const source = {
    read(buffer: Uint8Array): Promise<number | null> {
      const next = reads.shift();
      if (next === undefined) return Promise.resolve(null);
      buffer.set(next);
      return Promise.resolve(next.length);
    },
  };
  return { console: new ConsoleInput({ source, terminal, screen }), screen };
}

Deno.test("ConsoleInput.readCommand in a terminal acts on a listed key at once and reads anything else as an edited line", async () => {
  const keys = new Set(["n", "p", "PageDown"]);
  const { console, screen } = terminalInput(["n", "\x1b[6~", "1", "2", "\x7f", "3", "\r", "\r", "x"]);
  assert.equal(await console.readCommand("> ", keys), "n");
  assert.equal(await console.readCommand("> ", keys), "PageDown");
  assert.equal(await console.readCommand("> ", keys), "13");
  assert.equal(await console.readCommand("> ", keys), "");
  assert.equal(await console.readCommand("> ", keys), "x");
  assert.equal(await console.readCommand("> ", keys), null);
  assert.equal(screen.text, "> \n> \n> 12\b \b3\n> \n> x\n> \n");
});

Deno.test("ConsoleInput.readKey in a terminal names paging and arrow keys", async () => {
  const { console } = terminalInput(["\x1b[5~", "\x1b[A", "\x1bOF", "\x1b[H", "q"]);
  const keys = [];
  for (let key = await console.readKey(""); key !== null; key = await console.readKey("")) keys.push(key);
  assert.deepEqual(keys, ["PageUp", "Up", "End", "Home", "q"]);
});

Deno.test("ConsoleInput.readCommand reads a line when piped", async () => {
  const { console } = input("n\n42\n");
  assert.equal(await console.readCommand("> ", new Set(["n"])), "n");
  assert.equal(await console.readCommand("> ", new Set(["n"])), "42");
});

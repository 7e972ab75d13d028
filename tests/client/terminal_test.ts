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

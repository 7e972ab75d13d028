/**
 * Keyboard input for the client: lines, single key presses and passwords.
 * In a terminal a key press is read in cbreak mode and a password without
 * echo; when input is piped both come from lines. The terminal is put back
 * in its normal mode on every way out: return, exception and signal.
 *
 * @module
 */

import type { Input, Output, ScreenSize } from "./io.ts";
import { dropLastCharacter, keyLength, keyName, utf8Length } from "./keys.ts";
import { printableLine } from "./printable.ts";
import { textWidth } from "./width.ts";

/** Something bytes are read from, such as `Deno.stdin`. */
export interface ByteSource {
  /** Reads into `buffer`; the number of bytes read, or `null` at the end. */
  read(buffer: Uint8Array): Promise<number | null>;
}

/** The terminal switch of `Deno.stdin`. */
export interface RawSwitch {
  /** Turns raw (here: cbreak) mode on or off. */
  setRaw(mode: boolean, options?: Deno.SetRawOptions): void;
}

/** Options for `ConsoleInput`. */
export interface ConsoleInputOptions {
  /** Where bytes come from. */
  source: ByteSource;
  /** Present only when `source` is a terminal: single keys and hidden passwords then use it. */
  terminal?: RawSwitch;
  /** Where prompts go, and the newline after a key press or a password (a terminal does not echo those). */
  screen: Output;
}

/** Signals that end the program while the terminal is in cbreak mode, with their numbers. */
const SIGNALS: ReadonlyArray<readonly [Deno.Signal, number]> = [
  ["SIGINT", 2],
  ["SIGTERM", 15],
  ["SIGHUP", 1],
  ["SIGQUIT", 3],
];

const LF = 0x0a;
const CR = 0x0d;
const ESC = 0x1b;
const CTRL_D = 0x04;
const CTRL_U = 0x15;
const BACKSPACE = 0x08;
const DELETE = 0x7f;

const decoder = new TextDecoder();

/** Reads the user's input from standard input (or any byte source). */
export class ConsoleInput implements Input {
  #source: ByteSource;
  #terminal: RawSwitch | undefined;
  #screen: Output;
  #buffer = new Uint8Array(0);
  #eof = false;

  /** @param options the byte source, its terminal switch if it is a terminal, and the screen */
  constructor(options: ConsoleInputOptions) {
    this.#source = options.source;
    this.#terminal = options.terminal;
    this.#screen = options.screen;
  }

  /** Shows `prompt` and reads one line; a final line without line end counts, then `null`. A trailing CR is dropped. */
  async readLine(prompt: string): Promise<string | null> {
    this.#screen.write(prompt);
    return await this.#nextLine();
  }

  /**
   * Shows `prompt` and reads a password: in a terminal without echo
   * (Backspace and Ctrl-U edit), else one line.
   */
  async readSecret(prompt: string): Promise<string | null> {
    if (this.#terminal === undefined || this.#buffer.includes(LF)) return await this.readLine(prompt);
    const secret = await this.#inCbreak(prompt, () => this.#readEdited(false));
    this.#screen.write("\n");
    return secret;
  }

  /**
   * Shows `prompt` and reads one key: in a terminal a single key press
   * (Ctrl-D is the end of input), else the first character of a line.
   * Arrow, paging, Home and End keys come by name ("Up", "PageDown", … see `keyName`).
   */
  async readKey(prompt: string): Promise<string | null> {
    if (this.#terminal === undefined || this.#buffer.includes(LF)) {
      const line = await this.readLine(prompt);
      return line === null ? null : [...line][0] ?? "";
    }
    const key = await this.#inCbreak(prompt, () => this.#nextKey());
    const name = key === null ? null : keyName(key);
    this.#screen.write(name !== null && /^\P{C}$/u.test(name) ? `${name}\n` : "\n");
    return name;
  }

  /**
   * Shows `prompt` and reads a command: in a terminal, a key named in `keys`
   * acts as soon as it is pressed first; any other printable key starts a
   * line, echoed and edited as usual, that Enter ends. Piped, one line.
   *
   * @returns the key's name (as `readKey` names it), the line, or `null` at the end of input
   */
  async readCommand(prompt: string, keys: ReadonlySet<string>): Promise<string | null> {
    if (this.#terminal === undefined || this.#buffer.includes(LF)) return await this.readLine(prompt);
    const command = await this.#inCbreak(prompt, async () => {
      const key = await this.#nextKey();
      if (key === null || keys.has(keyName(key))) return key === null ? null : keyName(key);
      const first = key.codePointAt(0)!;
      if (first < 0x20 || first === 0x7f) return "";
      return await this.#readEdited(true, [...encoder.encode(key)]);
    });
    this.#screen.write("\n");
    return command;
  }

  /** The next key's text in cbreak mode (a character that arrived in part waits for the rest); `null` at the end. */
  async #nextKey(): Promise<string | null> {
    if (this.#buffer.length === 0) await this.#fill();
    if (this.#buffer.length === 0) return null;
    while (this.#buffer[0] !== ESC && this.#buffer.length < utf8Length(this.#buffer[0]) && !this.#eof) {
      await this.#fill();
    }
    const chunk = this.#take(Math.min(keyLength(this.#buffer), this.#buffer.length));
    return chunk[0] === CTRL_D ? null : decoder.decode(chunk);
  }

  async #nextLine(): Promise<string | null> {
    for (;;) {
      const lf = this.#buffer.indexOf(LF);
      if (lf >= 0) {
        const line = this.#take(lf + 1);
        return decoder.decode(line.subarray(0, line.at(-2) === CR ? -2 : -1));
      }
      if (this.#eof) return this.#buffer.length === 0 ? null : decoder.decode(this.#take(this.#buffer.length));
      await this.#fill();
    }
  }

  /**
   * Collects a line from cbreak-mode input, after `typed`, echoing it when
   * `echo` (Backspace and Ctrl-U edit); bytes after its end stay buffered.
   */
  async #readEdited(echo: boolean, typed: number[] = []): Promise<string | null> {
    const show = (text: string) => echo && this.#screen.write(text);
    show(decoder.decode(new Uint8Array(typed)));
    for (;;) {
      if (this.#buffer.length === 0) await this.#fill();
      if (this.#buffer.length === 0) return typed.length === 0 ? null : decoder.decode(new Uint8Array(typed));
      const chunk = this.#take(this.#buffer.length);
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i];
        if (b === CR || b === LF || (b === CTRL_D && typed.length > 0)) {
          this.#buffer = chunk.slice(i + 1);
          return decoder.decode(new Uint8Array(typed));
        }
        if (b === CTRL_D) return null;
        if (b === CTRL_U) show(erase(decoder.decode(new Uint8Array(typed.splice(0)))));
        else if (b === DELETE || b === BACKSPACE) show(erase(dropLastCharacter(typed)));
        else if (b >= 0x20) {
          typed.push(b);
          if (b < 0x80 || i + 1 === chunk.length || (chunk[i + 1] & 0xc0) !== 0x80) show(lastCharacter(typed));
        }
      }
    }
  }

  /**
   * Runs `read` with the terminal in cbreak mode (no echo, no line editing,
   * signals still delivered), and restores it however `read` ends. A signal
   * meanwhile restores the terminal and ends the program with 128 + its
   * number; after a stop (Ctrl-Z) and `fg`, SIGCONT turns cbreak mode back
   * on, as the shell has set the terminal for itself meanwhile. `prompt` is
   * shown once the mode is on, so nothing typed after it can be echoed.
   * Enter typed ahead arrives as CR in cbreak mode: the bytes left over
   * get it as LF, as line mode would have given it.
   */
  async #inCbreak<T>(prompt: string, read: () => Promise<T>): Promise<T> {
    const terminal = this.#terminal!;
    const cbreak = () => terminal.setRaw(true, { cbreak: true });
    const listeners: [Deno.Signal, () => void][] = SIGNALS.map(([signal, number]) => [signal, () => {
      terminal.setRaw(false);
      this.#screen.write("\n");
      Deno.exit(128 + number);
    }]);
    listeners.push(["SIGCONT", cbreak]);
    for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
    try {
      cbreak();
      this.#screen.write(prompt);
      return await read();
    } finally {
      terminal.setRaw(false);
      for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
      this.#buffer = this.#buffer.map((b) => b === CR ? LF : b);
    }
  }

  #take(n: number): Uint8Array {
    const head = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.slice(n);
    return head;
  }

  async #fill(): Promise<void> {
    if (this.#eof) return;
    const chunk = new Uint8Array(4096);
    const n = await this.#source.read(chunk);
    if (n === null) {
      this.#eof = true;
      return;
    }
    const joined = new Uint8Array(this.#buffer.length + n);
    joined.set(this.#buffer);
    joined.set(chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = joined;
  }
}

/** The backspaces, spaces and backspaces that erase `text` from the screen. */
function erase(text: string): string {
  const columns = textWidth(printableLine(text));
  return "\b".repeat(columns) + " ".repeat(columns) + "\b".repeat(columns);
}

/** The last complete UTF-8 character of `bytes`, as text ("" while it is incomplete). */
function lastCharacter(bytes: number[]): string {
  let start = bytes.length - 1;
  while (start > 0 && (bytes[start] & 0xc0) === 0x80) start--;
  const text = decoder.decode(new Uint8Array(bytes.slice(start)), { stream: false });
  return text.includes("\uFFFD") ? "" : printableLine(text);
}

const encoder = new TextEncoder();

/** Standard output as an `Output`; a closed pipe is ignored. Its size is the terminal's, read anew each time. */
export const stdoutOutput: Output = {
  size(): ScreenSize | undefined {
    if (!Deno.stdout.isTerminal()) return undefined;
    try {
      const { columns, rows } = Deno.consoleSize();
      return columns > 0 && rows > 0 ? { columns, rows } : undefined;
    } catch {
      return undefined;
    }
  },
  write(text: string): void {
    const bytes = encoder.encode(text);
    try {
      for (let done = 0; done < bytes.length;) done += Deno.stdout.writeSync(bytes.subarray(done));
    } catch (error) {
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    }
  },
};

/**
 * What the interactive flow reads from and writes to. The program wires
 * these to the terminal (`terminal.ts`); tests pass scripted lines.
 *
 * @module
 */

/** The user's keyboard, or whatever stands in for it. */
export interface Input {
  /** Shows `prompt`, then reads one line without its line end; `null` at the end of input. */
  readLine(prompt: string): Promise<string | null>;
  /**
   * Shows `prompt`, then reads one line without echoing it (a password);
   * `null` at the end of input.
   */
  readSecret(prompt: string): Promise<string | null>;
  /**
   * Shows `prompt`, then reads one key press: a single key in a terminal,
   * the first character of the next line otherwise ("" for an empty line);
   * `null` at the end of input.
   */
  readKey(prompt: string): Promise<string | null>;
  /**
   * Shows `prompt`, then reads a command: in a terminal one of `keys` acts
   * as soon as it is pressed, anything else starts a line ended by Enter;
   * otherwise one line. `null` at the end of input.
   */
  readCommand(prompt: string, keys: ReadonlySet<string>): Promise<string | null>;
}

/** The size of a terminal in character cells. */
export interface ScreenSize {
  /** Columns in a line. */
  columns: number;
  /** Lines on the screen. */
  rows: number;
}

/** Where the flow's text goes. */
export interface Output {
  /** Writes text as it is; add "\n" for a line. */
  write(text: string): void;
  /**
   * The terminal's size now, when the output is a terminal whose size is
   * known; left out or `undefined` otherwise (a pipe, a file): long lists
   * and mails are then written whole.
   */
  size?(): ScreenSize | undefined;
}

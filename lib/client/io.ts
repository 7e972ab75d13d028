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
}

/** Where the flow's text goes. */
export interface Output {
  /** Writes text as it is; add "\n" for a line. */
  write(text: string): void;
}

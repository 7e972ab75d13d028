/**
 * The one place where the command line becomes a mail store: `--store
 * file` (the default: the mailbox files under `--root`) or `--store
 * postgres://…` (PostgreSQL, shared by several front-ends).
 *
 * @module
 */

import { UsageError } from "../cli.ts";
import { warmUpIndexParsing } from "./file/file_maildrop.ts";
import { FileMailStore } from "./file/file_store.ts";
import { PostgresMailStore } from "./postgres/postgres_store.ts";
import type { MailStore } from "./store.ts";

/** Usage text of the store flag. */
export const STORE_USAGE = "[--store file|postgres://USER:PASSWORD@HOST:PORT/DB]";

/** The store flag as a `parseFlags` option. */
export const STORE_FLAG = { store: { type: "string", default: "file" } } as const;

/** Which store the command line asks for. */
export type StoreChoice = { kind: "file" } | { kind: "postgres"; url: string };

/** A store, and how to let go of it when the server stops. */
export interface OpenedStore {
  /** The store. */
  store: MailStore;
  /** Whether its mailboxes are files under the data root (so the user directories are made there). */
  files: boolean;
  /** Closes its connections, if any. */
  close(): Promise<void>;
}

/**
 * Reads `--store` from `parseFlags` values.
 *
 * @throws {UsageError} when it is neither "file" nor a postgres:// or postgresql:// URL
 */
export function parseStoreFlag(values: Record<string, unknown>): StoreChoice {
  const value = values.store as string;
  if (value === "file") return { kind: "file" };
  if (/^postgres(ql)?:\/\/./.test(value)) return { kind: "postgres", url: value };
  throw new UsageError(`Cannot use --store ${value.replace(/\/\/[^@/]*@/, "//…@")}: use file or a postgres:// URL`);
}

/**
 * Opens the chosen store.
 *
 * @param options the data root (for files), the program's name (for the database's view of its connections), whether
 *   it serves POP3 sessions (their locks' connection is then made at start, not at the first login), the log
 * @throws {StoreUnavailable} when the database cannot be reached
 */
export async function openStore(
  choice: StoreChoice,
  options: { root: string; application: string; sessions?: boolean; log(line: string): void },
): Promise<OpenedStore> {
  if (choice.kind === "file") {
    // The first POP3 login would otherwise compile the index parser (see `warmUpIndexParsing`).
    warmUpIndexParsing();
    const store = new FileMailStore({ root: options.root });
    return { store, files: true, close: () => Promise.resolve(store.close()) };
  }
  const store = await PostgresMailStore.open({
    url: choice.url,
    application: options.application,
    sessions: options.sessions,
    log: options.log,
  });
  return { store, files: false, close: () => store.close() };
}

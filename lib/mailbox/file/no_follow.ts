/**
 * Opening mailbox files without following symbolic links: a link planted
 * at `ROOT/<User>`, at `mymailbox` or at a file beside it must never make
 * a server read, append to or truncate a file elsewhere. Deno has no
 * `O_NOFOLLOW`, so each open checks before and after: nothing on the way
 * is a link, a missing file is made with `O_EXCL` (which never follows
 * one), and the file opened is the one that was looked at.
 *
 * @module
 */

import { dirname } from "node:path";

/** A mailbox path that is, or lies in, a symbolic link: the operation is refused. */
export class SymlinkRefused extends Error {
  /** @param path the link */
  constructor(path: string) {
    super(`Refusing to follow the symbolic link at ${path}`);
    this.name = "SymlinkRefused";
  }
}

/** Throws when `path` itself is a symbolic link; a missing path is fine. */
export function refuseLink(path: string): Deno.FileInfo | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  if (info.isSymlink) throw new SymlinkRefused(path);
  return info;
}

/**
 * Opens `path` like `Deno.openSync`, refusing a symbolic link at it or at
 * its directory, before or after the open. With `create` or `createNew`, a
 * missing file is created exclusively.
 *
 * @throws {SymlinkRefused} when a link is found
 * @throws {Deno.errors.NotFound} when the file is missing and not to be created
 */
export function openNoFollowSync(path: string, options: Deno.OpenOptions): Deno.FsFile {
  const dir = dirname(path);
  refuseLink(dir);
  for (let attempt = 0;; attempt++) {
    const before = refuseLink(path);
    const creating = before === undefined && (options.create === true || options.createNew === true);
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, creating ? { ...options, create: false, createNew: true } : options);
    } catch (error) {
      // Another process made it between the look and the open: look again.
      if (creating && error instanceof Deno.errors.AlreadyExists && attempt === 0) continue;
      throw error;
    }
    try {
      const opened = file.statSync();
      if (before !== undefined && (opened.ino !== before.ino || opened.dev !== before.dev)) {
        throw new SymlinkRefused(path);
      }
      refuseLink(dir);
      return file;
    } catch (error) {
      file.close();
      throw error;
    }
  }
}

/**
 * A large message's attachments, listed or given out as the message
 * streams by (`MimeWalk`), for the API and the pages.
 *
 * @module
 */

import type { AttachmentInfo } from "./attachment_info.ts";
import { MimeWalk } from "./mime_stream.ts";

/** The attachments of a message, as `MimeWalk` finds them, reading the whole stream. */
export async function listAttachments(source: ReadableStream<Uint8Array>): Promise<AttachmentInfo[]> {
  const found: AttachmentInfo[] = [];
  const walk = new MimeWalk({ onEnd: (info) => found.push(info) });
  for await (const chunk of source) walk.push(chunk);
  walk.end();
  return found;
}

/**
 * Attachment `index` of a message, decoded as the message streams by: its
 * description (size 0, not known yet) once its header block has been read,
 * and its octets as a stream. The rest of the message is not read.
 *
 * @returns undefined when the message has no such attachment
 */
export async function streamAttachment(
  source: ReadableStream<Uint8Array>,
  index: number,
): Promise<{ info: AttachmentInfo; body: ReadableStream<Uint8Array> } | undefined> {
  const reader = source.getReader();
  const queue: Uint8Array[] = [];
  let info: AttachmentInfo | undefined;
  let ended = false;
  const walk = new MimeWalk({
    want: index,
    onStart: (found) => info ??= found.index === index ? found : undefined,
    onEnd: (found) => ended ||= found.index === index,
    emit: (bytes) => queue.push(bytes),
  });
  /** Feeds the walk one more chunk; false at the end of the message. */
  const step = async (): Promise<boolean> => {
    const next = await reader.read();
    if (next.done) walk.end();
    else walk.push(next.value);
    return !next.done;
  };
  while (info === undefined) {
    if (!await step()) return undefined;
  }
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (queue.length === 0 && !ended) ended = !await step() || ended;
      // What one chunk of the message gave, in one piece: a quoted-printable line is a few dozen octets.
      if (queue.length > 0) return controller.enqueue(joined(queue.splice(0)));
      controller.close();
      await reader.cancel();
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  return { info, body };
}

/** The pieces as one array (the piece itself when there is one). */
function joined(pieces: Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  const out = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  pieces.reduce((at, piece) => (out.set(piece, at), at + piece.length), 0);
  return out;
}

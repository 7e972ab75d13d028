/**
 * Turns a stored record (SMTP wire form: lines beginning with "." doubled,
 * ended by a "." line) back into the message as POP3 RETR's reader sees it,
 * as a stream, holding nothing but the chunk at hand (RFC 5321 §4.5.2).
 * Its output chunks are views of its input chunks, which a stream's reader owns.
 *
 * @module
 */

const DOT = 0x2e;
const LF = 0x0a;

/**
 * A transform from a record's stored chunks to the message's octets: the
 * leading "." of each line is dropped, and output stops after `size`
 * octets, which leaves out what remains of the terminator.
 *
 * @param size the message's octets as `MailRecord.size` gives them
 */
export function unstuffStream(size: number): TransformStream<Uint8Array, Uint8Array> {
  let lineStart = true;
  let left = size;
  return new TransformStream({
    transform(chunk, controller) {
      const emit = (from: number, to: number) => {
        const end = Math.min(to, from + left);
        if (end <= from) return;
        controller.enqueue(chunk.subarray(from, end));
        left -= end - from;
      };
      let from = 0;
      for (let at = 0; at < chunk.length;) {
        if (lineStart && chunk[at] === DOT) {
          emit(from, at);
          from = at + 1;
        }
        const lf = chunk.indexOf(LF, at);
        lineStart = lf >= 0;
        if (lf < 0) break;
        at = lf + 1;
      }
      emit(from, chunk.length);
    },
  });
}

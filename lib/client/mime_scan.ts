/**
 * A cheap look at a message's MIME structure before it is decoded: the
 * decoder keeps every part it meets, so a small message with a great many
 * parts (or boundaries nested deep) would take hundreds of megabytes. The
 * scan counts the parts by their delimiter lines (RFC 2046 §5.1.1) in two
 * passes over the octets, holding only the declared boundaries.
 *
 * @module
 */

/** The most parts a message may have to be decoded. */
export const MAX_PARTS = 1000;
/** The most distinct boundaries a message may declare (each multipart level declares one). */
export const MAX_BOUNDARIES = 50;

const BOUNDARY = /boundary\s*=\s*(?:"([^"]{1,200})"|([^\s;"]{1,200}))/gi;
const latin1 = new TextDecoder("latin1");

/**
 * Says why a message should not be decoded, or `undefined` when it may be.
 *
 * @param raw the whole message, CRLF line ends
 */
export function mimeRisk(raw: Uint8Array): string | undefined {
  const boundaries = new Set<string>();
  for (const line of lines(raw, (bytes) => bytes.length > 9 && bytes[0] !== 0x2d && bytes.includes(0x3d))) {
    for (const m of line.matchAll(BOUNDARY)) boundaries.add(m[1] ?? m[2]);
    if (boundaries.size > MAX_BOUNDARIES) return `it declares more than ${MAX_BOUNDARIES} MIME boundaries`;
  }
  if (boundaries.size === 0) return undefined;
  let parts = 0;
  for (const line of lines(raw, (bytes) => bytes[0] === 0x2d && bytes[1] === 0x2d && bytes.length > 2)) {
    const name = line.slice(2).replace(/\s+$/, "");
    if (boundaries.has(name) || (name.endsWith("--") && boundaries.has(name.slice(0, -2)))) parts++;
    if (parts > MAX_PARTS) return `it has more than ${MAX_PARTS.toLocaleString("en-US")} MIME parts`;
  }
  return undefined;
}

/** The lines of `raw` that pass `keep`, as text, each cut to 1000 octets. */
function* lines(raw: Uint8Array, keep: (line: Uint8Array) => boolean): Generator<string> {
  for (let start = 0; start < raw.length;) {
    let end = raw.indexOf(0x0a, start);
    if (end < 0) end = raw.length;
    const line = raw.subarray(start, Math.min(end, start + 1000));
    if (keep(line)) yield latin1.decode(line);
    start = end + 1;
  }
}

/**
 * Reading a request's body with a bound: a client must not make the server
 * hold more than it needs (a login, a form), whatever Content-Length it
 * sends or leaves out.
 *
 * @module
 */

/**
 * The body as text (UTF-8), or undefined when it is longer than `max`
 * octets (the rest is not read).
 */
export async function boundedText(request: Request, max: number): Promise<string | undefined> {
  if (Number(request.headers.get("content-length") ?? 0) > max) return undefined;
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of request.body ?? []) {
    length += chunk.length;
    if (length > max) return undefined;
    parts.push(chunk);
  }
  const bytes = new Uint8Array(length);
  parts.reduce((at, part) => (bytes.set(part, at), at + part.length), 0);
  return new TextDecoder().decode(bytes);
}

/** mimeRisk: counting MIME parts and boundaries before decoding. */

import assert from "node:assert/strict";
import { MAX_BOUNDARIES, MAX_PARTS, mimeRisk } from "../../lib/client/mime_scan.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function multipart(parts: number): string {
  let text = 'Subject: x\r\nContent-Type: multipart/mixed;\r\n boundary="=_b"\r\n\r\n';
  for (let i = 0; i < parts; i++) text += `--=_b\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`;
  return `${text}--=_b--\r\n`;
}

Deno.test("mimeRisk lets plain mail and ordinary multipart mail be decoded", () => {
  assert.equal(mimeRisk(bytes("Subject: x\r\n\r\n-- \r\n--not a part\r\n")), undefined);
  assert.equal(mimeRisk(bytes(multipart(MAX_PARTS - 1))), undefined);
});

Deno.test("mimeRisk refuses too many parts and too many boundaries", () => {
  assert.equal(mimeRisk(bytes(multipart(MAX_PARTS + 1))), "it has more than 1,000 MIME parts");
  let nested = "Subject: x\r\n";
  for (let i = 0; i <= MAX_BOUNDARIES; i++) {
    nested += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
  }
  assert.equal(mimeRisk(bytes(nested)), "it declares more than 50 MIME boundaries");
});

/**
 * One message decoded for the web inbox and the API, with postal-mime (the
 * library the terminal client uses): its main headers, text, HTML and
 * attachment list. Messages too large or too intricate to decode safely are
 * described from their header block alone.
 *
 * @module
 */

import PostalMime, { type Attachment, type Email } from "postal-mime";
import { formatAddresses, headerEnd } from "../client/display.ts";
import { mimeRisk } from "../client/mime_scan.ts";
import type { AttachmentInfo } from "./attachment_info.ts";
import type { MessageSummary } from "./mailbox_view.ts";

/** The largest message decoded whole, as the terminal client fetches at most (`MAX_FETCH`). */
export const MAX_DECODE = 32 * 1024 * 1024;
/** The octets of a message larger than `MAX_DECODE` that are read for its header block. */
export const HEADER_PREFIX = 64 * 1024;

/** One message as `GET /api/v1/messages/{id}` returns it. */
export interface MessageDetail {
  /** The UIDL. */
  id: string;
  /** The From header, decoded. */
  from: string;
  /** The To header, decoded. */
  to: string;
  /** The Cc header, decoded. */
  cc: string;
  /** The Subject, decoded. */
  subject: string;
  /** The Date header as sent, or null. */
  date: string | null;
  /** When our server received it, ISO 8601. */
  received: string;
  /** Octets of the message as stored (as POP3 gives it). */
  size: number;
  /** Every header field in order, values as sent (unfolded). */
  headers: { name: string; value: string }[];
  /** The text part, or null. */
  text: string | null;
  /** The HTML part, or null. */
  html: string | null;
  /** The attachments. */
  attachments: AttachmentInfo[];
  /** Why the body was not decoded (too large, too intricate), or null when it was. */
  undecoded: string | null;
}

/** A decoded message: the detail, and the decoded email for its attachments' bytes. */
export interface DecodedMessage {
  /** What the API returns. */
  detail: MessageDetail;
  /** postal-mime's result, or undefined when only the header was decoded. */
  email?: Email;
}

/**
 * Decodes a message: whole when it is at most `MAX_DECODE` octets and
 * `mimeRisk` finds nothing; otherwise only its header block.
 *
 * @param bytes the message, or at least its first `HEADER_PREFIX` octets when it is larger than `MAX_DECODE`
 */
export async function decodeMessage(record: MessageSummary, bytes: Uint8Array): Promise<DecodedMessage> {
  let why = record.size > MAX_DECODE ? `it is larger than ${MAX_DECODE / 1024 / 1024} MiB` : mimeRisk(bytes);
  let email: Email | undefined;
  if (why === undefined) {
    try {
      email = await PostalMime.parse(bytes);
    } catch (error) {
      why = `the decoder refused it (${error instanceof Error ? error.message : String(error)})`;
    }
  }
  const shown = email ?? await PostalMime.parse(bytes.subarray(0, headerEnd(bytes))).catch(() => undefined);
  return { detail: describe(record, shown, email === undefined ? why ?? "it cannot be decoded" : null), email };
}

/** The attachment's bytes, or undefined when there is none numbered `index`. */
export function attachmentBytes(
  email: Email,
  index: number,
): { info: AttachmentInfo; bytes: Uint8Array<ArrayBuffer> } | undefined {
  const attachment = email.attachments[index];
  if (attachment === undefined) return undefined;
  return { info: attachmentInfo(attachment, index), bytes: contentBytes(attachment) };
}

/** Builds the API's view from postal-mime's. */
function describe(record: MessageSummary, email: Email | undefined, undecoded: string | null): MessageDetail {
  const body = undecoded === null && email !== undefined;
  return {
    id: record.id,
    from: email?.from ? formatAddresses([email.from]) : record.from,
    to: email?.to ? formatAddresses(email.to) : record.to,
    cc: email?.cc ? formatAddresses(email.cc) : "",
    subject: email?.subject ?? record.subject,
    date: email?.date ?? null,
    received: record.received.toISOString(),
    size: record.size,
    headers: (email?.headers ?? []).map((h) => ({ name: h.originalKey, value: h.value })),
    text: body ? email.text ?? null : null,
    html: body ? email.html ?? null : null,
    attachments: body ? email.attachments.map(attachmentInfo) : [],
    undecoded,
  };
}

function attachmentInfo(attachment: Attachment, index: number): AttachmentInfo {
  return {
    index,
    filename: attachment.filename,
    contentType: attachment.mimeType,
    size: contentBytes(attachment).byteLength,
    disposition: attachment.disposition,
    contentId: attachment.contentId?.replace(/^<|>$/g, "") ?? null,
  };
}

function contentBytes(attachment: Attachment): Uint8Array<ArrayBuffer> {
  const content = attachment.content;
  if (typeof content === "string") return new TextEncoder().encode(content);
  return new Uint8Array(content);
}

/**
 * What the API says of one attachment, on its own so that the MIME walk of
 * large messages (`mime_stream.ts`) and the message's JSON
 * (`message_json.ts`) need not import each other.
 *
 * @module
 */

/** An attachment as the API lists it. */
export interface AttachmentInfo {
  /** Its number, from 0, for `/attachments/{n}`. */
  index: number;
  /** The file name it was sent with, or null. */
  filename: string | null;
  /** Its MIME type, e.g. "application/pdf". */
  contentType: string;
  /** Octets once decoded. */
  size: number;
  /** "attachment", "inline", or null. */
  disposition: string | null;
  /** The Content-ID of an inline part, without the angle brackets, or null. */
  contentId: string | null;
}

/**
 * HTML built safely: the `html` tag escapes every value it is given, unless
 * the value is itself `Html` made by the tag, so no text from a message or
 * a request can become markup.
 *
 * @module
 */

/** Markup made by `html` (or `rawHtml`), which `html` inserts as it is. */
export class Html {
  /** The markup. */
  readonly text: string;

  /** @param text markup already safe */
  constructor(text: string) {
    this.text = text;
  }

  /** The markup. */
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** A value `html` can take: text (escaped), a number, `Html`, a list of these, or nothing. */
export type HtmlValue = string | number | Html | HtmlValue[] | undefined | null | false;

function render(value: HtmlValue): string {
  if (value === undefined || value === null || value === false) return "";
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

/** The tag: `html\`<p>${text}</p>\`` escapes `text`. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** An HTML page response with the pages' CSP. */
export function page(body: Html, options: { status?: number; headers?: HeadersInit } = {}): Response {
  const response = new Response(`<!doctype html>\n${body.text}`, { status: options.status ?? 200 });
  for (const [name, value] of new Headers(options.headers)) response.headers.append(name, value);
  response.headers.set("Content-Type", "text/html; charset=utf-8");
  if (!response.headers.has("Content-Security-Policy")) response.headers.set("Content-Security-Policy", PAGE_CSP);
  return response;
}

/**
 * The pages' CSP: their own stylesheet and script, frames of their own
 * (the sandboxed message HTML), nothing from elsewhere, no inline script.
 */
export const PAGE_CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; " +
  "connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

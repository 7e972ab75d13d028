/**
 * Checks real responses against `docs/openapi.json`: finds the operation by
 * method and path, the response by status, and validates a JSON body
 * against its schema. The validator covers the part of JSON Schema the file
 * uses (type and type lists, properties, required, additionalProperties
 * false, items, minimum, maximum, maxLength, enum, format date-time, local
 * $ref); a keyword it does not know fails the check, so the file cannot
 * outgrow it unnoticed.
 *
 * @module
 */

import { REPO_ROOT } from "./server_process.ts";
import { join } from "node:path";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

/** The OpenAPI file, parsed. */
export const OPENAPI: Schema = JSON.parse(Deno.readTextFileSync(join(REPO_ROOT, "docs", "openapi.json")));

const KNOWN = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minimum",
  "maximum",
  "maxLength",
  "enum",
  "format",
  "$ref",
  "description",
  "default",
]);

/** Follows a local `$ref` ("#/components/…"). */
function resolve(node: Schema): Schema {
  let at = node;
  while (typeof at.$ref === "string") {
    let target: Json = OPENAPI;
    for (const part of at.$ref.replace(/^#\//, "").split("/")) target = (target as Schema)[part];
    if (target === undefined) throw new Error(`Cannot resolve ${at.$ref}`);
    at = target as Schema;
  }
  return at;
}

function typeOf(value: Json): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** The problems of `value` against `schema`, each with its JSON path; empty when it conforms. */
export function validate(value: Json, schema: Schema, path = "$"): string[] {
  const s = resolve(schema);
  const unknown = Object.keys(s).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) return [`${path}: the validator does not know ${unknown.join(", ")}`];
  const problems: string[] = [];
  if (s.type !== undefined) {
    const types = [s.type].flat() as string[];
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === "integer" && types.includes("number"))) {
      return [`${path}: ${actual}, expected ${types.join(" or ")}`];
    }
  }
  if (s.enum !== undefined && !(s.enum as Json[]).includes(value)) problems.push(`${path}: not one of the enum`);
  if (typeof value === "number") {
    if (typeof s.minimum === "number" && value < s.minimum) problems.push(`${path}: below ${s.minimum}`);
    if (typeof s.maximum === "number" && value > s.maximum) problems.push(`${path}: above ${s.maximum}`);
  }
  if (typeof value === "string") {
    if (typeof s.maxLength === "number" && value.length > s.maxLength) problems.push(`${path}: too long`);
    const dateTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
    if (s.format === "date-time" && !dateTime.test(value)) problems.push(`${path}: not a date-time`);
  }
  if (Array.isArray(value) && s.items !== undefined) {
    value.forEach((item, i) => problems.push(...validate(item, s.items as Schema, `${path}[${i}]`)));
  }
  if (typeOf(value) === "object") {
    const object = value as { [key: string]: Json };
    const properties = (s.properties ?? {}) as { [key: string]: Schema };
    for (const name of (s.required ?? []) as string[]) {
      if (!(name in object)) problems.push(`${path}: missing ${name}`);
    }
    for (const [name, item] of Object.entries(object)) {
      if (properties[name] !== undefined) problems.push(...validate(item, properties[name], `${path}.${name}`));
      else if (s.additionalProperties === false) problems.push(`${path}: unexpected ${name}`);
    }
  }
  return problems;
}

/** The path template of the file that `pathname` matches, e.g. "/api/v1/messages/{id}". */
function templateOf(pathname: string): string | undefined {
  return Object.keys(OPENAPI.paths as Schema).find((template) => {
    const pattern = template.replace(/\{[^}]+\}/g, "[^/]+");
    return new RegExp(`^${pattern}$`).test(pathname);
  });
}

/**
 * Checks a response against the file: the operation exists, documents the
 * status, and a JSON body conforms to its schema (a body-less status must
 * come without one).
 *
 * @throws {Error} listing what does not conform
 */
export function checkResponse(method: string, pathname: string, status: number, type: string, body: string): void {
  const template = templateOf(pathname);
  if (template === undefined) throw new Error(`${pathname} is not in docs/openapi.json`);
  const operation = ((OPENAPI.paths as Schema)[template] as Schema)[method.toLowerCase()] as Schema | undefined;
  if (operation === undefined) throw new Error(`${method} ${template} is not in docs/openapi.json`);
  const documented = (operation.responses as Schema)[String(status)] as Schema | undefined;
  if (documented === undefined) throw new Error(`${method} ${template} does not document status ${status}`);
  const content = resolve(documented).content as Schema | undefined;
  if (content === undefined) {
    if (body !== "") throw new Error(`${method} ${template} ${status} has a body, documented without one`);
    return;
  }
  const mediaType = Object.keys(content).find((t) => type.startsWith(t)) ??
    (content["application/octet-stream"] ? "application/octet-stream" : undefined);
  if (mediaType === undefined) throw new Error(`${method} ${template} ${status}: undocumented type ${type}`);
  if (mediaType !== "application/json") return;
  const problems = validate(JSON.parse(body), (content[mediaType] as Schema).schema as Schema);
  if (problems.length > 0) throw new Error(`${method} ${template} ${status}: ${problems.join("; ")}`);
}

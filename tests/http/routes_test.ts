import assert from "node:assert/strict";
import { route } from "../../lib/http/routes.ts";

Deno.test("route maps method and path to a destination", () => {
  const table: [string, string, ReturnType<typeof route>][] = [
    ["GET", "/api/v1/messages", { kind: "api-list" }],
    ["DELETE", "/api/v1/messages", { kind: "api-delete-all" }],
    ["GET", "/api/v1/messages/abc.12", { kind: "api-message", id: "abc.12" }],
    ["HEAD", "/api/v1/messages/abc.12", { kind: "api-message", id: "abc.12" }],
    ["DELETE", "/api/v1/messages/a%2Bb", { kind: "api-delete", id: "a+b" }],
    ["GET", "/api/v1/messages/x/raw", { kind: "api-raw", id: "x" }],
    ["GET", "/api/v1/messages/x/attachments/3", { kind: "api-attachment", id: "x", index: 3 }],
    ["GET", "/api/v1/wait", { kind: "api-wait" }],
    ["POST", "/api/v1/login", { kind: "api-login" }],
    ["GET", "/", { kind: "page-list" }],
    ["GET", "/messages/x", { kind: "page-message", id: "x" }],
    ["POST", "/delete", { kind: "page-delete" }],
    ["GET", "/static/style.css", { kind: "static", name: "style.css" }],
    ["PUT", "/api/v1/messages", { kind: "method", allow: ["GET", "DELETE"] }],
    ["GET", "/api/v1/messages/a%2Fb", { kind: "not-found" }],
    ["GET", "/api/v1/messages/%zz", { kind: "not-found" }],
    ["GET", "/static/../x.css", { kind: "not-found" }],
    ["GET", "/nothing", { kind: "not-found" }],
  ];
  for (const [method, path, expected] of table) assert.deepEqual(route(method, path), expected, `${method} ${path}`);
});

import assert from "node:assert/strict";
import { cookieValue, parseBasic, parseBearer, sessionCookie } from "../../lib/http/credentials.ts";

Deno.test("parseBasic reads RFC 7617 credentials and refuses malformed ones", () => {
  const table: [string | null, ReturnType<typeof parseBasic>][] = [
    [`Basic ${btoa("Andrew:@dministr@tor")}`, { name: "Andrew", password: "@dministr@tor" }],
    [`basic ${btoa("a:b:c")}`, { name: "a", password: "b:c" }],
    [`Basic ${btoa(String.fromCharCode(...new TextEncoder().encode("Jürgen:pä")))}`, {
      name: "Jürgen",
      password: "pä",
    }],
    [`Basic ${btoa("nocolon")}`, undefined],
    ["Basic !!!", undefined],
    [`Basic ${btoa("\xff:x")}`, undefined],
    ["Bearer abc", undefined],
    [null, undefined],
  ];
  for (const [header, expected] of table) assert.deepEqual(parseBasic(header), expected, String(header));
});

Deno.test("parseBearer, cookieValue and sessionCookie", () => {
  assert.equal(parseBearer("Bearer abc-DEF_1"), "abc-DEF_1");
  assert.equal(parseBearer("Basic abc"), undefined);
  assert.equal(cookieValue("a=1; mail_session=xyz; b=2", "mail_session"), "xyz");
  assert.equal(cookieValue("xmail_session=1", "mail_session"), undefined);
  assert.equal(cookieValue(null, "mail_session"), undefined);
  assert.equal(
    sessionCookie("s", "v", { secure: true, maxAge: 60 }),
    "s=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure",
  );
  assert.equal(
    sessionCookie("s", "", { secure: false, maxAge: 0 }),
    "s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
  );
});

/**
 * `deno compile` of each program. Compiling needs Deno's runtime base
 * (denort), which is downloaded from Deno's own host unless DENORT_BIN
 * points at a local copy; that host is out of reach on these machines, so
 * the test is ignored unless DENORT_BIN is set.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const denort = Deno.env.get("DENORT_BIN");
const PROGRAMS = ["smtp", "pop3", "client"];

Deno.test({
  name: "deno compile builds each program into a binary that checks its arguments" +
    (denort ? "" : " (ignored: set DENORT_BIN to a local denort; its download host is unreachable)"),
  ignore: !denort,
  async fn() {
    const out = await Deno.makeTempDir();
    try {
      for (const program of PROGRAMS) {
        const compiled = await new Deno.Command(Deno.execPath(), { args: ["task", `compile:${program}`] }).output();
        assert.equal(compiled.code, 0, new TextDecoder().decode(compiled.stderr));
        const binary = join(
          Deno.cwd(),
          "dist",
          { smtp: "smtpmail", pop3: "popserver", client: "mailclient" }[program]!,
        );
        const run = await new Deno.Command(binary, { args: ["--nope"], cwd: out }).output();
        assert.equal(run.code, 2);
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

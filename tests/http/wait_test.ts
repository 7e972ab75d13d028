import assert from "node:assert/strict";
import { namesAddress } from "../../lib/http/wait.ts";

Deno.test("namesAddress finds an address in a To header, not inside another", () => {
  const table: [string, string, boolean][] = [
    ["andrew@localhost", "andrew@localhost", true],
    ["Andrew <ANDREW@localhost>", "andrew@localhost", true],
    ["a@x, andrew@localhost", "andrew@localhost", true],
    ['"Group": andrew@localhost;', "andrew@localhost", true],
    ["bandrew@localhost", "andrew@localhost", false],
    ["andrew@localhost.example", "andrew@localhost", false],
    ["", "andrew@localhost", false],
  ];
  for (const [to, address, expected] of table) assert.equal(namesAddress(to, address), expected, to);
});

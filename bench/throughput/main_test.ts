/** bench:capture's command line: what it rejects before measuring anything (no root needed). */
import assert from "node:assert/strict";
import { CliError } from "../../kit/cli_error.ts";
import { main } from "./main.ts";

Deno.test("--untraced below 6 pairs is rejected: the interval would be unbounded", async () => {
  await assert.rejects(
    () => main(["--untraced", "5"]),
    (e: unknown) => {
      // a usage error: exit 2 with the usage, before the root check or any measuring
      assert.ok(e instanceof CliError && e.exitCode === 2 && e.showUsage);
      assert.match(
        e.message,
        /^--untraced wants at least 6 pairs \(fewer leave the 95% interval unbounded\), got 5$/,
      );
      return true;
    },
  );
});

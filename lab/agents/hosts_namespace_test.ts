/** Tests that the hosts file applies inside the agent's mount namespace and nowhere else. */

import assert from "node:assert/strict";
import { withHostsFile } from "./hosts_namespace.ts";

async function resolve(argv: string[]): Promise<string> {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("a name in the run's hosts file resolves inside, not outside", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/hosts`,
      "127.0.0.1 localhost\n127.0.0.7\tdocs.sightline-test.test\n",
    );
    const inside = await resolve(
      withHostsFile(
        ["getent", "hosts", "docs.sightline-test.test"],
        `${dir}/hosts`,
      ),
    );
    assert.match(inside, /^127\.0\.0\.7\s+docs\.sightline-test\.test$/);
    assert.equal(
      await resolve(["getent", "hosts", "docs.sightline-test.test"]),
      "",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

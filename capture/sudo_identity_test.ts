/** sudoIdentity: SUDO_UID/SUDO_GID read as ids, and every value that is not one refused. */
import assert from "node:assert/strict";
import { sudoIdentity } from "./sudo_identity.ts";

Deno.test("sudoIdentity: the user sudo names, none without SUDO_UID", () => {
  assert.deepEqual(sudoIdentity({ SUDO_UID: "1000", SUDO_GID: "100" }), { uid: 1000, gid: 100 });
  assert.deepEqual(sudoIdentity({ SUDO_UID: "0", SUDO_GID: "0" }), { uid: 0, gid: 0 });
  assert.equal(sudoIdentity({}), undefined);
  assert.equal(sudoIdentity({ SUDO_UID: "", SUDO_GID: "" }), undefined);
});

Deno.test("sudoIdentity: a value that is not an id is an error, never root", () => {
  for (
    const [env, msg] of [
      [{ SUDO_UID: "x", SUDO_GID: "1" }, "SUDO_UID=x is not a user id"],
      [{ SUDO_UID: "1", SUDO_GID: "-1" }, "SUDO_GID=-1 is not a group id"],
      [{ SUDO_UID: "4294967295", SUDO_GID: "1" }, "SUDO_UID=4294967295 is not a user id"],
      [{ SUDO_UID: "1e3", SUDO_GID: "1" }, "SUDO_UID=1e3 is not a user id"],
      [{ SUDO_UID: " 1", SUDO_GID: "1" }, "SUDO_UID= 1 is not a user id"],
      [{ SUDO_UID: "1" }, "SUDO_UID is set without SUDO_GID"],
      [{ SUDO_GID: "1" }, "SUDO_GID is set without SUDO_UID"],
    ] as const
  ) assert.throws(() => sudoIdentity(env), { message: msg });
});

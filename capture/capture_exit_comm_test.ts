/**
 * A process's exit row names the process, not the thread that happened to exit last: a
 * program whose main thread ends first (pthread_exit) while a thread it renamed with
 * PR_SET_NAME runs on, as Bun's and tokio's worker threads often outlive the main one.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest } from "../tests/support/capture.ts";

const SOURCE = `
#include <pthread.h>
#include <sys/prctl.h>
#include <unistd.h>
static void *worker(void *arg) {
  (void)arg;
  prctl(PR_SET_NAME, "sl-last-thread");
  usleep(200000);
  return 0;
}
int main(void) {
  pthread_t t;
  if (pthread_create(&t, 0, worker, 0)) return 1;
  pthread_exit(0);
}
`;

Deno.test({
  name: "exit row: the process's name when a renamed thread outlives the main one",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-exit-comm-" });
    try {
      await Deno.writeTextFile(`${dir}/leader_first.c`, SOURCE);
      const cc = await new Deno.Command("gcc", {
        args: ["-O2", "-pthread", "-o", `${dir}/leader_first`, `${dir}/leader_first.c`],
        stderr: "piped",
      }).output();
      assert.ok(cc.success, new TextDecoder().decode(cc.stderr));
      const { res, rec } = await captureForTest({
        cmd: [`${dir}/leader_first`],
        out: `${dir}/rec`,
      });
      assert.equal(res.exitCode, 0);
      const exec = rec.process.find((p) => p.kind === "exec" && p.comm === "leader_first");
      assert.ok(
        exec,
        `exec of leader_first recorded: ${
          JSON.stringify(rec.process.map((p) => [p.kind, p.pid, p.comm]))
        }`,
      );
      const exit = rec.process.find((p) => p.kind === "exit" && p.pid === exec.pid);
      assert.ok(exit, "its exit recorded");
      assert.equal(exit.comm, "leader_first", "the process's name, not its last thread's");
      assert.equal(exit.exit_code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

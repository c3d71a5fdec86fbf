/**
 * The trickle benchmark's accounting, without root: proc_timer --wait-all reaps what outlives the command
 * (as a capture's loader outlives the capture process) and sums each process's rusage by name;
 * the capture's share is the outer group's total minus the traced command's (inner) group.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { buildCTool } from "../c_tool.ts";
import { captureShare } from "./trickle.ts";

const usage = await buildCTool(filePath("../overhead/proc_timer.c", import.meta.url));

Deno.test("proc_timer --wait-all: an orphan is waited for and counted under its name; the exit code is the command's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-group-usage-" });
  try {
    const out = `${dir}/u.json`;
    // sh leaves a busy orphan behind (as the capture process leaves its loader) and exits 3
    const r = await new Deno.Command(usage, {
      args: [
        "--wait-all",
        out,
        "--",
        "sh",
        "-c",
        "(i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done) & exit 3",
      ],
    }).output();
    assert.equal(r.code, 3);
    const u = JSON.parse(await Deno.readTextFile(out));
    assert.ok(u.all_ns > u.wall_ns, "waited for the orphan after the command exited");
    assert.ok(u.by_comm.sh.processes >= 2, "the command and its orphaned subshell, both sh");
    assert.ok(
      u.by_comm.sh.cpu_us > 20_000,
      `the orphan's busy loop counted: ${u.by_comm.sh.cpu_us} µs`,
    );
    const sum = Object.values(u.by_comm as Record<string, { cpu_us: number }>)
      .reduce((a, c) => a + c.cpu_us, 0);
    assert.equal(u.total.cpu_us, sum);
    assert.ok(u.total.nvcsw + u.total.nivcsw > 0);
    // the overhead benchmark's fields: all of it, as getrusage(RUSAGE_CHILDREN) would say
    assert.equal(u.user_us + u.sys_us, u.total.cpu_us);
    assert.equal(u.exit_code, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("proc_timer without --wait-all: it stops at the command's exit, leaving the orphan", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-proc-timer-" });
  try {
    const out = `${dir}/u.json`;
    const r = await new Deno.Command(usage, {
      args: [out, "--", "sh", "-c", "sleep 2 & exit 5"],
      stdout: "null", // the orphan holds a piped stdout open
      stderr: "null",
    }).output();
    assert.equal(r.code, 5);
    const u = JSON.parse(await Deno.readTextFile(out));
    assert.equal(u.all_ns, u.wall_ns);
    assert.ok(u.wall_ns < 1.5e9, `returned at the command's exit: ${u.wall_ns / 1e6} ms`);
    assert.equal(u.by_comm.sh.processes, 1, "the command alone: the orphan was not waited for");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("captureShare: the capture's processes are the outer group minus the traced command's", () => {
  const use = (cpu_us: number, nvcsw = 0) => ({
    processes: 1,
    cpu_us,
    nvcsw,
    nivcsw: 0,
    maxrss_kb: 30 * 1024,
  });
  // the loader reaped the command (inner proc_timer), so its rusage holds the command's
  const outer = {
    wall_ns: 0,
    all_ns: 0,
    status: 0,
    self: use(1000),
    total: use(400_000, 900),
    by_comm: { deno: use(200_000, 500), "sightline-loade": use(200_000, 400) },
  };
  const inner = {
    wall_ns: 0,
    all_ns: 0,
    status: 0,
    self: use(2000, 10),
    total: use(48_000, 90),
    by_comm: { event_load: use(48_000, 90) },
  };
  const s = captureShare(outer, inner);
  assert.equal(s.commandCpuMs, 50);
  assert.equal(s.captureCpuMs, 350);
  assert.equal(s.captureCsw, 800);
  assert.equal(s.denoCpuMs, 200);
  assert.equal(s.loaderCpuMs, 150);
  assert.equal(s.loaderRssMiB, 30);
});

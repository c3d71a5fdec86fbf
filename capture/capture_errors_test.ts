/**
 * Bad input and bad luck: each gets one clear line and a non-zero exit, and whatever was
 * recorded stays readable — not root, no BTF, a command that does not exist, an --out that
 * is not empty, a bad option, and the capture itself killed with SIGKILL (a full disk:
 * capture_disk_full_test.ts).
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest, untilExists } from "../tests/support/capture.ts";
import { readArrowFile } from "../recording/arrow_reader.ts";
import { run } from "./recorder.ts";
import { CliError } from "../kit/cli_error.ts";
import { CAPTURE_MAIN, captureCommand } from "./command_line.ts";

const DENO = Deno.execPath();

async function cli(args: string[], prefix: string[] = []) {
  const out = await new Deno.Command(prefix[0] ?? DENO, {
    args: [
      ...prefix.slice(1),
      ...(prefix.length ? [DENO] : []),
      "run",
      "-A",
      "--quiet",
      CAPTURE_MAIN,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { DENO_DIR: "/tmp/sl-deno-dir", HOME: "/tmp/sl-deno-dir" },
  }).output();
  return {
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr).trim(),
    stdout: new TextDecoder().decode(out.stdout).trim(),
  };
}

function oneLine(s: string) {
  assert.equal(s.split("\n").length, 1, `one line, got:\n${s}`);
}

Deno.test({
  name: "not root: one line, exit 1",
  ignore: skipWithoutRoot(),
  async fn() {
    await Deno.mkdir("/tmp/sl-deno-dir", { recursive: true, mode: 0o777 });
    await Deno.chmod("/tmp/sl-deno-dir", 0o777);
    const r = await cli(["--", "true"], [
      "setpriv",
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
    ]);
    assert.equal(r.code, 1);
    oneLine(r.stderr);
    assert.match(r.stderr, /^sightline: capture needs root/);
  },
});

Deno.test({
  name: "command not found: exit 127, nothing created",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir();
    const r = await cli(["--out", `${dir}/rec`, "--", "no-such-command-sightline"]);
    assert.equal(r.code, 127);
    oneLine(r.stderr);
    assert.equal(r.stderr, "sightline: no-such-command-sightline: command not found");
    await assert.rejects(Deno.stat(`${dir}/rec`));
  },
});

Deno.test({
  name:
    "a command that is a directory or not executable: exit 126, one line saying so, nothing created",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir();
    const script = `${dir}/script.sh`;
    await Deno.writeTextFile(script, "#!/bin/sh\necho hi\n", { mode: 0o644 });
    const cases: [string[], string][] = [
      [[dir], `sightline: ${dir}: is a directory`],
      [[script], `sightline: ${script}: permission denied (not executable)`],
    ];
    for (const [cmd, line] of cases) {
      const r = await cli(["--out", `${dir}/rec`, "--", ...cmd]);
      assert.equal(r.code, 126, r.stderr);
      oneLine(r.stderr);
      assert.equal(r.stderr, line);
      await assert.rejects(Deno.stat(`${dir}/rec`));
    }
    // found in PATH but not executable: as a shell says it
    const r = await new Deno.Command(DENO, {
      args: ["run", "-A", "--quiet", CAPTURE_MAIN, "--out", `${dir}/rec`, "--", "script.sh"],
      env: { PATH: `${dir}:/usr/bin:/bin` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(r.code, 126);
    assert.equal(
      new TextDecoder().decode(r.stderr).trim(),
      `sightline: script.sh: permission denied (${script} is not executable)`,
    );
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "--out not empty is refused unless --force; bad options are one line",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(`${dir}/keep.txt`, "mine");
    const r = await cli(["--out", dir, "--", "true"]);
    assert.equal(r.code, 2);
    oneLine(r.stderr);
    assert.match(r.stderr, /is not empty .*--force/);
    assert.equal(await Deno.readTextFile(`${dir}/keep.txt`), "mine");
    const bad = await cli(["--max-tls-bytes", "lots", "--", "true"]);
    assert.equal(bad.code, 2);
    oneLine(bad.stderr);
    assert.match(bad.stderr, /--max-tls-bytes wants a number/);
    const unknown = await cli(["--frobnicate", "--", "true"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr.split("\n")[0], /^sightline: Unknown option '--frobnicate'/);
    const forced = await cli(["--out", dir, "--force", "--quiet", "--", "true"]);
    assert.equal(forced.code, 0);
    assert.ok((await Deno.stat(`${dir}/process.arrow`)).isFile);
  },
});

Deno.test({
  name: "an --out that cannot be made (a read-only or virtual file system): one line, exit 2",
  ignore: skipWithoutRoot(),
  async fn() {
    // /proc takes no new directories: mkdir fails as on a read-only mount
    const r = await cli(["--out", "/proc/sightline-no-such/rec", "--", "true"]);
    assert.equal(r.code, 2, r.stderr);
    oneLine(r.stderr);
    assert.match(r.stderr, /^sightline: cannot use --out \/proc\/sightline-no-such\/rec: .+/);
  },
});

Deno.test({
  name: "no BTF: one clear error before anything starts",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir();
    await assert.rejects(
      run({ cmd: ["true"], out: `${dir}/rec`, btfPath: "/nonexistent/vmlinux", quiet: true }),
      (e: unknown) => e instanceof CliError && /no BTF/.test(e.message) && e.exitCode === 1,
    );
  },
});

Deno.test({
  name: "SIGKILL of the capture mid-run leaves readable Arrow files and ends the command",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir();
    const marker = `${dir}/marker`;
    const [deno, ...args] = captureCommand(`${dir}/rec`, [
      "bash",
      "-c",
      `echo $$ > ${marker}; for i in $(seq 1 300); do cat /etc/hostname >/dev/null; sleep 0.05; done`,
    ]);
    const proc = new Deno.Command(deno, {
      args,
      stdout: "null",
      stderr: "null",
    }).spawn();
    // wait for two flushes after the command started
    await untilExists(marker, 10_000, 100);
    await new Promise((r) => setTimeout(r, 2500));
    proc.kill("SIGKILL");
    await proc.status;
    const cmdPid = Number((await Deno.readTextFile(marker)).trim());
    for (const t of ["process", "file"]) {
      const { rows, damaged } = readArrowFile(`${dir}/rec/${t}.arrow`);
      assert.equal(damaged, undefined, `${t}.arrow reads cleanly`);
      assert.ok(rows.length > 0, `${t}.arrow has the rows flushed before the kill`);
    }
    const files = readArrowFile(`${dir}/rec/file.arrow`).rows;
    assert.ok(files.some((f) => f.path === "/etc/hostname"));
    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/rec/manifest.json`));
    assert.equal(manifest.complete, false);
    // the loader follows its parent, and takes the command with it
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      try {
        await Deno.stat(`/proc/${cmdPid}`);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        alive = false;
      }
    }
    assert.equal(alive, false, "the traced command ended after the capture was killed");
  },
});

Deno.test({
  name: "--comm with a name longer than the kernel keeps (15 bytes): a process of it already " +
    "running is traced",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir();
    const name = "slcommlongtest-running"; // the kernel keeps "slcommlongtest-"
    const bin = `${dir}/${name}`;
    await Deno.copyFile("/usr/bin/bash", bin);
    await Deno.chmod(bin, 0o755);
    await Deno.writeTextFile(`${dir}/input.txt`, "hello\n");
    const running = new Deno.Command(bin, {
      args: ["-c", `sleep 3; /usr/bin/cat ${dir}/input.txt > /dev/null`],
    }).spawn();
    const ac = new AbortController();
    const capture = captureForTest({ comm: name, signal: ac.signal });
    assert.ok((await running.status).success);
    await new Promise((r) => setTimeout(r, 500));
    ac.abort();
    const { res, rec } = await capture;
    assert.equal(res.manifest.mode, "comm");
    assert.ok(
      rec.file.some((f) => f.path === `${dir}/input.txt` && f.op === "open"),
      "the running process's child read its input under the capture",
    );
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "--comm traces processes by name, also ones started later; abort ends it",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir();
    const bin = `${dir}/slcommtest`;
    await Deno.copyFile("/usr/bin/cat", bin);
    await Deno.chmod(bin, 0o755);
    await Deno.writeTextFile(`${dir}/input.txt`, "hello\n");
    const ac = new AbortController();
    const capture = captureForTest({ comm: "slcommtest", signal: ac.signal });
    await new Promise((r) => setTimeout(r, 1500)); // started after the capture
    const other = await new Deno.Command("cat", { args: [`${dir}/input.txt`], stdout: "null" })
      .output();
    assert.ok(other.success);
    const run1 = await new Deno.Command(bin, { args: [`${dir}/input.txt`], stdout: "null" })
      .output();
    assert.ok(run1.success);
    await new Promise((r) => setTimeout(r, 500));
    ac.abort();
    const { res, rec } = await capture;
    assert.equal(res.manifest.mode, "comm");
    const execs = rec.process.filter((p) => p.kind === "exec");
    assert.deepEqual(execs.map((e) => e.comm), ["slcommtest"]);
    assert.ok(rec.file.some((f) => f.path === `${dir}/input.txt` && f.pid === execs[0].pid));
    assert.ok(!rec.process.some((p) => p.comm === "cat"), "the plain cat is not traced");
  },
});

Deno.test({
  name:
    "conflicting options (a command with --pid or --comm, --pid with --comm, --status with --quiet): exit 2, nothing created",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir();
    const cases: [string[], RegExp][] = [
      [["--pid", "1", "--", "true"], /^sightline: give a command or --pid N, not both$/],
      [["--comm", "sh", "--", "true"], /^sightline: give a command or --comm NAME, not both$/],
      [["--pid", "1", "--comm", "sh"], /^sightline: give --pid N or --comm NAME, not both$/],
      [["--status", "--quiet", "--", "true"], /^sightline: --status and --quiet contradict/],
    ];
    for (const [args, line] of cases) {
      const r = await cli(["--out", `${dir}/rec`, ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      oneLine(r.stderr);
      assert.match(r.stderr, line);
      await assert.rejects(Deno.stat(`${dir}/rec`), `${args.join(" ")}: nothing created`);
    }
  },
});

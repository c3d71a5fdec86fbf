/**
 * A disk that fills up during a capture, as a user meets it: the traced command fills the
 * recording's disk (a 2 MiB tmpfs) while it goes on opening files. What was written before
 * stays, whole and readable; what the capture had but could not write is counted in the
 * manifest and shown by the analysis; the capture says so in one line and exits non-zero; and
 * a disk that the command frees again in time costs nothing.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { readArrowFile } from "../recording/arrow_reader.ts";
import { CAPTURE_MAIN } from "./command_line.ts";

const DENO = Deno.execPath();
const ROOT = filePath("../", import.meta.url);
const MARKS = 200;
/** opens while the disk is full: ~0.5 MB of file.arrow, which the disk takes once freed */
const OPENS = 5_000;

/**
 * The command: MARKS opens of /etc/hostname, a pause (they are flushed), then it fills the
 * disk with DIR/big, opens /dev/null OPENS times and waits for a flush; with "free", it then
 * removes DIR/big and waits for the capture to write what it held.
 */
const SCRIPT = `
import os, sys, time
d, free = sys.argv[1], sys.argv[2] == "free"
for i in range(${MARKS}): os.close(os.open("/etc/hostname", os.O_RDONLY))
time.sleep(2.5)
fd = os.open(d + "/big", os.O_WRONLY | os.O_CREAT, 0o600)
chunk = b"x" * 65536
try:
    while True: os.write(fd, chunk)
except OSError:
    pass
os.close(fd)
for i in range(${OPENS / 1000}):
    for j in range(1000): os.close(os.open("/dev/null", os.O_RDONLY))
    time.sleep(0.05)
time.sleep(1.5)  # a flush while the disk is full
if free:
    os.remove(d + "/big")
    time.sleep(2.5)
`;

async function run(cmd: string, args: string[], cwd = ROOT) {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout).trim(),
    stderr: dec.decode(out.stderr).trim(),
  };
}

/** Runs `fn` with a fresh 2 MiB tmpfs, unmounted after. */
async function onSmallDisk(fn: (mnt: string) => Promise<void>) {
  const mnt = await Deno.makeTempDir({ prefix: "sl-full-" });
  const m = await run("mount", ["-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", mnt]);
  assert.equal(m.code, 0, `mounting a small tmpfs: ${m.stderr}`);
  try {
    await fn(mnt);
  } finally {
    await run("umount", [mnt]);
    await Deno.remove(mnt, { recursive: true });
  }
}

/** A test, as root only, of `fn` on a fresh small disk (`onSmallDisk`). */
function smallDiskTest(name: string, fn: (mnt: string) => Promise<void>) {
  Deno.test({
    name,
    ignore: skipWithoutRoot(),
    sanitizeResources: false,
    fn: () => onSmallDisk(fn),
  });
}

/** Captures `cmd` into MNT/rec, with the capture's `options` (before `--`). */
function captureInto(mnt: string, options: string[], cmd: string[]) {
  return run(DENO, [
    "run",
    "-A",
    "--quiet",
    CAPTURE_MAIN,
    "--out",
    `${mnt}/rec`,
    ...options,
    "--",
    ...cmd,
  ]);
}

/** Captures SCRIPT (`mode`: whether it frees the disk again), quietly. */
const capture = (mnt: string, mode: "keep" | "free") =>
  captureInto(mnt, ["--quiet"], ["/usr/bin/python3", "-c", SCRIPT, mnt, mode]);

/** The opens of `path` in file.arrow, which must read to its end without damage. */
function opensOf(rec: string, path: string): number {
  const { rows, damaged } = readArrowFile(`${rec}/file.arrow`);
  assert.equal(damaged, undefined, "file.arrow is a whole stream");
  return rows.filter((r) => r.path === path).length;
}

/** Analyses a copy of `rec`: file.arrow's lost rows are a problems row, and no file is cut. */
async function analysedAsLost(rec: string, copy: string, file: { rows: number; lost: number }) {
  await run("cp", ["-r", rec, copy]);
  const a = await run(DENO, ["task", "--quiet", "analyze", "--quiet", copy]);
  assert.equal(a.code, 0, a.stderr);
  const q = "SELECT source, kind, message FROM problems ORDER BY ALL";
  const p = await run(DENO, ["task", "--quiet", "sql", "--format", "json", copy, "--", q]);
  assert.equal(p.code, 0, p.stderr);
  const problems = JSON.parse(p.stdout) as { source: string; kind: string; message: string }[];
  const lost = problems.find((x) => x.source === "file.arrow" && x.kind === "lost");
  assert.ok(lost, JSON.stringify(problems, null, 1));
  assert.equal(
    lost.message,
    `${file.lost} rows the capture had could not be written (the disk refused them): the ` +
      `file has the other ${file.rows}`,
  );
  assert.ok(
    !problems.some((x) => /missing|damaged/.test(x.message)),
    `no file reads as cut short: ${JSON.stringify(problems, null, 1)}`,
  );
}

smallDiskTest(
  "disk full to the end: one line, exit 1, what was written stays, the rest is counted",
  async (mnt) => {
    const rec = `${mnt}/rec`;
    const r = await capture(mnt, "keep");
    assert.notEqual(r.code, 0, "a capture that lost rows fails");
    assert.equal(r.stderr.split("\n").length, 1, `one line, got:\n${r.stderr}`);
    assert.match(r.stderr, /^sightline: .*No space left on device/);
    assert.ok(r.stderr.includes(rec), `the line names the recording: ${r.stderr}`);
    assert.equal(opensOf(rec, "/etc/hostname"), MARKS, "every row of the earlier batches");

    // the manifest survives the full disk, and counts what is not in the files
    const m = JSON.parse(await Deno.readTextFile(`${rec}/manifest.json`));
    assert.equal(m.complete, false);
    assert.equal(m.exit_code, 0, "the command ran to its end");
    const file = m.tables.file;
    assert.ok(file.lost > 0, `file.arrow: rows not written are counted (${file.lost})`);
    assert.equal(file.rows, readArrowFile(`${rec}/file.arrow`).rows.length);
    assert.ok(file.rows + file.lost >= MARKS + OPENS, "written + lost: every open");
    assert.equal(m.errors.length, 1, JSON.stringify(m.errors));
    assert.match(m.errors[0], /No space left on device.* rows not written \(file \d+/);
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(rec))).map((e) => e.name).sort(),
      ["file.arrow", "ipc.arrow", "manifest.json", "net.arrow", "privilege.arrow"]
        .concat(["process.arrow", "tls.arrow"]).sort(),
      "no reserve or temporary file left behind",
    );

    // the analysis (of a copy: the disk is full) reads it and says what is missing
    const tmp = await Deno.makeTempDir({ prefix: "sl-full-copy-" });
    try {
      await analysedAsLost(rec, `${tmp}/rec`, file);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
);

smallDiskTest(
  "disk full for a while: what was held is written once the command frees the disk",
  async (mnt) => {
    const rec = `${mnt}/rec`;
    const r = await capture(mnt, "free");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.equal(opensOf(rec, "/etc/hostname"), MARKS);
    assert.ok(opensOf(rec, "/dev/null") >= OPENS, "every open made while the disk was full");
    const m = JSON.parse(await Deno.readTextFile(`${rec}/manifest.json`));
    assert.equal(m.complete, true);
    assert.equal(m.tables.file.lost, undefined);
    assert.ok(
      m.warnings.some((w: string) => /disk refused .*no rows were lost/.test(w)),
      JSON.stringify(m.warnings),
    );
  },
);

smallDiskTest(
  "disk full from the start: one line naming the file, exit 1, no recording left behind",
  async (mnt) => {
    const dd = await run("dd", ["if=/dev/zero", `of=${mnt}/big`, "bs=64k"]);
    assert.match(dd.stderr, /No space left/, "the disk is full");
    const r = await captureInto(mnt, [], ["true"]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `sightline: ${mnt}/rec/process.arrow: No space left on device (os error 28); ` +
        "nothing was recorded",
    );
    assert.deepEqual(await Array.fromAsync(Deno.readDir(`${mnt}/rec`)), []);
  },
);

import assert from "node:assert/strict";
import { checkSettings, DEFAULT_SETTINGS, settingsParams } from "./settings.ts";
import { checkDetectSettings, DEFAULT_DETECT_SETTINGS } from "../detect/settings.ts";

Deno.test("settings: defaults pass their own checks; bad values get one line", () => {
  assert.doesNotThrow(() => checkSettings({ ...DEFAULT_SETTINGS }));
  assert.doesNotThrow(() => checkDetectSettings({ ...DEFAULT_DETECT_SETTINGS }));
  assert.throws(() => checkSettings({ ...DEFAULT_SETTINGS, windowMs: -1 }), /windowMs/);
  assert.throws(() => checkSettings({ ...DEFAULT_SETTINGS, confPath: 1.5 }), /confPath.*\[0, 1\]/);
  assert.throws(
    () => checkDetectSettings({ ...DEFAULT_DETECT_SETTINGS, loopCycles: 0 }),
    /loopCycles/,
  );
  assert.throws(
    () => checkDetectSettings({ ...DEFAULT_DETECT_SETTINGS, blockedShareMedium: 2 }),
    /blockedShareMedium/,
  );
});

Deno.test("settings: the window is bound in nanoseconds", () => {
  const p = settingsParams({ ...DEFAULT_SETTINGS, windowMs: 250 });
  assert.equal(p.window_ns, 250_000_000n);
  assert.equal(p.use_brackets, true);
});

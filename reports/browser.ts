/// <reference lib="dom" />
/**
 * Opening a report in a real browser: Debian's Chromium (`/usr/bin/chromium`, installed by
 * set-up) driven headless through playwright-core, with the flags this closed network needs
 * (no background networking, no component updates, no QUIC) and a fresh profile. Used by the
 * browser test; playwright never downloads a browser of its own here.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Why the browser cannot run here, or null when it can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (scripts/setup.sh installs it)`;
}

/** Runs `fn` with a headless Chromium, closing it afterwards. */
export async function withChromium<T>(fn: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: CHROMIUM_ARGS,
  });
  try {
    return await fn(browser);
  } finally {
    await browser.close();
  }
}

export interface PageLog {
  /** console messages of type error, and uncaught exceptions */
  errors: string[];
  /** requests for anything but the page's own file and data: URLs */
  requests: string[];
}

/** Records errors and outside requests of a page from now on. */
export function watchPage(page: Page): PageLog {
  const log: PageLog = { errors: [], requests: [] };
  page.on("console", (m) => {
    if (m.type() === "error") log.errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => log.errors.push(`page: ${e.message}`));
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith("file:") && !url.startsWith("data:") && !url.startsWith("blob:")) {
      log.requests.push(url);
    }
  });
  return log;
}

/**
 * Marks drawn in the page's live SVG: for each chart container `#chart-NAME` and each named
 * mark group `LAYER_marks` in it, the number of items (`graphics-symbol` children).
 */
export function countMarks(page: Page): Promise<Record<string, Record<string, number>>> {
  return page.evaluate(() => {
    const out: Record<string, Record<string, number>> = {};
    for (const el of document.querySelectorAll("div.chart[id^='chart-']")) {
      const chart = el.id.slice("chart-".length);
      const groups: Record<string, number> = {};
      for (const g of el.querySelectorAll("svg g.role-mark")) {
        const name = [...g.classList].find((c) => c.endsWith("_marks"));
        if (!name) continue;
        const key = name.slice(0, -"_marks".length);
        groups[key] = (groups[key] ?? 0) +
          g.querySelectorAll(":scope > [role='graphics-symbol']").length;
      }
      out[chart] = groups;
    }
    return out;
  });
}

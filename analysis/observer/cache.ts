/**
 * The observer's answer cache: one JSON file per (model, prompt version, trace hash) under a
 * directory (default `.cache/observer/`), so labelling a recording again costs nothing.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const DEFAULT_CACHE_DIR = fileURLToPath(new URL("../../.cache/observer/", import.meta.url));

export interface CachedAnswer {
  model: string;
  text: string;
  inputTokens: number | null;
  outputTokens: number | null;
  cachedInputTokens: number | null;
  latencyMs: number;
  attempts: number;
  storedAt: string;
}

export class AnswerCache {
  constructor(readonly dir: string = DEFAULT_CACHE_DIR) {}

  static key(model: string, promptVersion: number, traceHash: string): string {
    const safe = model.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80);
    return `${safe}-v${promptVersion}-${traceHash}`;
  }

  #path(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  async get(key: string): Promise<CachedAnswer | null> {
    try {
      return JSON.parse(await Deno.readTextFile(this.#path(key)));
    } catch {
      return null;
    }
  }

  async put(key: string, answer: CachedAnswer): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.#path(key)}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(answer, null, 2) + "\n", { mode: 0o600 });
    await Deno.rename(tmp, this.#path(key));
  }
}

/**
 * Seeded randomness for everything that must repeat: a tiny PRNG (mulberry32), a standard
 * normal draw from it, and a seed mixed from several numbers (so one item of a list gets its
 * own stream whatever the others draw).
 */

/** mulberry32: a tiny deterministic PRNG in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box-Muller) from a uniform source in [0, 1). */
export function normalDraw(rand: () => number): number {
  const u = 1 - rand(); // (0, 1]: log stays finite
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** One 32-bit seed from several integers (FNV-1a over their 32-bit words). */
export function mixSeed(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    let w = x >>> 0;
    for (let i = 0; i < 4; i++) {
      h ^= w & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
      w >>>= 8;
    }
  }
  return h >>> 0;
}

/**
 * Typed arrays that grow as items are appended: `grown` gives an array with room for more,
 * the items kept. Used by the stores that keep numbers in columns (`text_arena.ts`, the
 * capture's `recording/column_buffers.ts`, the parse's `analysis/http_stubs.ts`).
 */

/** The typed arrays `grown` grows. */
export type Growable = Int32Array | Float64Array | BigInt64Array | Uint8Array;

/**
 * `a` itself when it holds `need` items, else a copy of it with room for at least `need`:
 * its length doubled (16 from an empty array) until `need` fits.
 */
export function grown<A extends Growable>(a: A, need: number): A {
  if (need <= a.length) return a;
  let n = Math.max(2 * a.length, 16);
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => A)(n);
  b.set(a as never);
  return b;
}

/**
 * A short, fast, non-cryptographic name for a file's identity string (path, device, inode,
 * size, times), to name cache files by. Callers store the identity in the file and compare
 * it on reading, so a collision is only a cache miss. (Not node:crypto: the first node:
 * import costs the capture ~70 ms of start-up.)
 */

/** 128 bits of FNV-1a (two 64-bit lanes with different offset bases) as 32 hex digits. */
export function idHash(s: string): string {
  const bytes = new TextEncoder().encode(s);
  const prime = 0x100000001b3n;
  const mask = (1n << 64n) - 1n;
  let a = 0xcbf29ce484222325n;
  let b = 0x84222325cbf29ce4n;
  for (const x of bytes) {
    a = ((a ^ BigInt(x)) * prime) & mask;
    b = ((b ^ BigInt(x ^ 0x5a)) * prime) & mask;
  }
  return a.toString(16).padStart(16, "0") + b.toString(16).padStart(16, "0");
}

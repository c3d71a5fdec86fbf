/** Addresses in evidence strings (a module of its own: the capture path imports it). */
export function hex(n: number): string {
  return "0x" + n.toString(16);
}

/**
 * A TCP port free just now on an address (127.0.0.1 unless named), for a server started a moment
 * later: the one place tests, fixture makers and the lab ask the kernel for one.
 */

/** A TCP port free on `address` just now (the kernel's pick; closed again at once). */
export function freePort(address = "127.0.0.1"): number {
  const l = Deno.listen({ hostname: address, port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

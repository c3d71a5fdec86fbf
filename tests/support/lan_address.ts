/**
 * A non-loopback address on this machine for the tests of cleartext HTTP "on the LAN" (root): an
 * interface `sl_lan0` with 10.213.7.1/32 and fd5e:213:7::1/128 (a dummy one, or where the
 * kernel has no dummy driver one end of a veth pair), up for the test and removed after it
 * (left alone when it was there already). A connection from this machine to
 * one of them goes through the kernel's loopback device, but its sockets' addresses are that
 * address, not 127.0.0.1 or ::1: to the capture's kernel side it is a peer elsewhere, as a
 * model server on a LAN GPU box would be.
 */

export const LAN_IF = "sl_lan0";
export const LAN_V4 = "10.213.7.1";
export const LAN_V6 = "fd5e:213:7::1";

async function ip(...args: string[]): Promise<{ ok: boolean; err: string }> {
  const o = await new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).output();
  return { ok: o.success, err: new TextDecoder().decode(o.stderr).trim() };
}

/** Runs `fn` with the interface up; removes it afterwards if it made it. */
export async function withLanAddress<T>(fn: () => Promise<T>): Promise<T> {
  const dummy = (await ip("link", "add", LAN_IF, "type", "dummy")).ok;
  const veth = !dummy &&
    (await ip("link", "add", LAN_IF, "type", "veth", "peer", "name", `${LAN_IF}p`)).ok;
  const made = dummy || veth;
  try {
    for (
      const args of [
        ...(made ? [] : [["link", "show", LAN_IF]]),
        ["addr", "replace", `${LAN_V4}/32`, "dev", LAN_IF],
        ["-6", "addr", "replace", `${LAN_V6}/128`, "dev", LAN_IF, "nodad"],
        ["link", "set", LAN_IF, "up"],
        ...(veth ? [["link", "set", `${LAN_IF}p`, "up"]] : []),
      ]
    ) {
      const r = await ip(...args);
      if (!r.ok) throw new Error(`ip ${args.join(" ")}: ${r.err}`);
    }
    return await fn();
  } finally {
    if (made) await ip("link", "del", LAN_IF);
  }
}

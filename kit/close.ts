/**
 * Closing what may be closed already: a server's listener and its open connections when it
 * shuts down, both ends of a spliced pair once either went. Deno throws on a second close (or
 * on a connection the peer's end took down); there it means only that it is closed, so each
 * is closed on its own and a throw is passed over, never stopping the rest.
 */

/** Something with a synchronous close: a `Deno.Listener`, a `Deno.Conn`, a file. */
export interface Closable {
  close(): void;
}

/** Closes each of `items` in order; one already closed (a throw) is passed over. */
export function closeAll(items: Iterable<Closable>): void {
  for (const item of items) {
    try {
      item.close();
    } catch { /* closed */ }
  }
}

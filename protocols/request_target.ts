/**
 * An HTTP/1 request target in origin form (RFC 9112 3.2.1: `/path?query`), whatever form it was
 * sent in: a client sends a plain HTTP proxy its requests in absolute form (3.2.2:
 * `POST http://10.0.0.5:11434/v1/chat/completions`, what `HTTP_PROXY` makes Bun's fetch, curl
 * or reqwest do for an `http://` URL), the same request a server would get as
 * `POST /v1/chat/completions` with the authority in its Host header. Routes are matched, and
 * exchanges' paths shown, in origin form; where an absolute-form target goes is its scheme and
 * authority (`absoluteTarget`, read by `authority.ts`).
 */

/** absolute form's scheme `://` authority (RFC 3986 3: the authority ends at `/`, `?` or `#`) */
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/;

/** `target` in origin form: an absolute-form target's path and query (`/` when it has none). */
export function originForm(target: string): string {
  const m = ABSOLUTE.exec(target);
  if (!m) return target;
  const rest = target.slice(m[0].length).replace(/#.*$/, "");
  return rest.startsWith("/") ? rest : `/${rest}`;
}

/**
 * The scheme (lower case: RFC 3986 3.1) and authority of a target in absolute form
 * (`http://user@h:8080/x` is `http`, `user@h:8080`); null for any other form.
 */
export function absoluteTarget(target: string): { scheme: string; authority: string } | null {
  const m = ABSOLUTE.exec(target);
  return m ? { scheme: m[1].toLowerCase(), authority: m[2] } : null;
}

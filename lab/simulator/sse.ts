/**
 * Server-Sent Events encoding for the scripted model server, and the deterministic chunking of
 * text into the deltas a streaming model emits.
 */

/** Encodes one SSE event. `eol` is "\n" (Anthropic, OpenAI) or "\r\n" (Gemini). */
export function encodeSseEvent(
  data: string,
  opts: { event?: string; eol?: "\n" | "\r\n" } = {},
): string {
  const eol = opts.eol ?? "\n";
  const lines: string[] = [];
  if (opts.event !== undefined) lines.push(`event: ${opts.event}`);
  for (const line of data.split(/\r?\n/)) lines.push(`data: ${line}`);
  return lines.join(eol) + eol + eol;
}

/**
 * Splits text into streaming deltas of about `size` characters, breaking after whitespace when
 * one is near, so that every delta is non-empty and their concatenation is the text.
 */
export function chunkText(text: string, size = 24): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > size) {
    let cut = rest.lastIndexOf(" ", size);
    if (cut < size / 2) cut = size;
    else cut += 1;
    // Never split a UTF-16 surrogate pair.
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut += 1;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest.length > 0 || out.length === 0) out.push(rest);
  return out;
}

/** Splits a JSON text into fixed-size pieces (partial JSON may cut anywhere). */
export function chunkJson(json: string, size = 20): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < json.length) {
    let end = Math.min(json.length, start + size);
    // Never split a UTF-16 surrogate pair.
    const code = json.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) end += 1;
    out.push(json.slice(start, end));
    start = end;
  }
  return out;
}

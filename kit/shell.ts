/**
 * Words for a POSIX shell: `shQuote` single-quotes any string (a single quote inside becomes
 * `'\''`), so the shell reads it back as one word, unchanged; `shellWord` leaves a plain word
 * (letters, digits and `_ @ % + = : , . / -`, none special to sh) bare and quotes the rest, for
 * commands a person reads.
 */

/** A word for sh: single-quoted, with single quotes escaped. */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** A word for sh, quoted only when it is not plain (the empty word is quoted). */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : shQuote(s);
}

/** An argv as a shell would read it back (arguments with spaces or quotes quoted). */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellWord).join(" ");
}

/**
 * Small checks on text that comes from clients. Pure (no Nest), so that the socket contract, which a
 * client bundle imports, may use them too.
 */

/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * True when a string holds an unpaired UTF-16 surrogate (JSON allows `"\ud800"`): such a string is no
 * Unicode text, and PostgreSQL refuses it in jsonb (its UTF-8 encoding would be a replacement character).
 */
export function hasUnpairedSurrogate(text: string): boolean {
  return UNPAIRED_SURROGATE.test(text);
}

/** How much of a client's input an error message repeats. */
export const MAX_ECHO_LENGTH = 64;

/**
 * A client's input as an error message may repeat it: at most {@link MAX_ECHO_LENGTH} characters
 * (code points, so a surrogate pair is never cut in half), then "…" when cut.
 */
export function echo(text: string, max = MAX_ECHO_LENGTH): string {
  if (text.length <= max) return text;
  let head = '';
  let n = 0;
  for (const ch of text) {
    if (n === max) return `${head}…`;
    head += ch;
    n++;
  }
  return head;
}

/** Local stand-ins for the server's order keys, used only until the server answers. */

/** Compare two order keys the way the server does (plain code-unit order), ties by id. */
export function byPosition<T extends { position: string; id: number }>(a: T, b: T): number {
  if (a.position < b.position) return -1;
  if (a.position > b.position) return 1;
  return a.id - b.id;
}

const HIGH = "~"; // above every base-62 digit

/**
 * Return a string strictly between `a` and `b` (either may be null for an open end).
 *
 * The server computes the real key from `after`/`before`; this one only has to sort
 * correctly among the keys on screen while the request is in flight.
 */
export function keyBetween(a: string | null, b: string | null): string {
  if (a !== null && b !== null && a >= b) throw new Error(`${a} is not below ${b}`);
  if (b === null) return (a ?? "a0") + HIGH;
  if (a === null) {
    // Any key below b: drop b's last character by one code point and pad above.
    const last = b.charCodeAt(b.length - 1);
    if (last > 0x21) return b.slice(0, -1) + String.fromCharCode(last - 1) + HIGH;
    return b.slice(0, -1);
  }
  let n = 0;
  while (n < a.length && a[n] === b[n]) n++;
  const low = n < a.length ? a.charCodeAt(n) : 0;
  const high = b.charCodeAt(n);
  if (high - low > 1) return b.slice(0, n) + String.fromCharCode(Math.floor((low + high) / 2));
  // Adjacent code points: extend a, which stays below b since it is below it at n.
  return a + HIGH;
}

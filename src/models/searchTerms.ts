/**
 * Search without regular expressions: each product stores the words of its title and description,
 * and their beginnings, normalised (lower case, no accents); a search matches products holding
 * every word of the query. An ordinary multikey index serves it on every MongoDB-wire server, and
 * a query can neither inject a pattern nor an operator: it only ever becomes a list of strings.
 */

const MIN_PREFIX = 3;
/** Longer words are cut: nobody searches for them whole, and they would bloat the index. */
const MAX_WORD = 30;
export const MAX_QUERY_WORDS = 8;

/** "Crème brûlée, 2 pots!" → ['creme', 'brulee', '2', 'pots']. */
export function wordsOf(text: string): string[] {
  const words = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map((word) => word.slice(0, MAX_WORD));
  return [...new Set(words)];
}

/** What a product is found by: its words, and each word's beginnings of three letters or more. */
export function searchTermsOf(...texts: string[]): string[] {
  const terms = new Set<string>();
  for (const word of wordsOf(texts.join(' '))) {
    terms.add(word);
    for (let end = MIN_PREFIX; end < word.length; end += 1) terms.add(word.slice(0, end));
  }
  return [...terms];
}

/** The terms a query must all match (its first MAX_QUERY_WORDS words). */
export function queryTermsOf(query: string): string[] {
  return wordsOf(query).slice(0, MAX_QUERY_WORDS);
}

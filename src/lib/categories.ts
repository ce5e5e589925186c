/** A product category: shown by `name`, addressed (URLs, the database) by `slug`. */
export interface Category {
  slug: string;
  name: string;
}

/** "Kitchen, Bags & accessories" → [{ slug: 'kitchen', … }, { slug: 'bags-accessories', … }]. */
export function parseCategories(list: string): Category[] {
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return names.map((name) => ({
    name,
    slug: name
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-|-$/g, ''),
  }));
}

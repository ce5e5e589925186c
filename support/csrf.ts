/** The shop's forms carry the session's CSRF token in a hidden field: `<input name="_csrf" value="…">`. */
const CSRF_FIELD = /name="_csrf" value="([^"]+)"/;

/** The token of the first `_csrf` field of a page, if it has one. */
export function csrfIn(html: string): string | undefined {
  return CSRF_FIELD.exec(html)?.[1];
}

/** The token of the first `_csrf` field of a page; throws when the page has no form with one. */
export function csrfFrom(html: string): string {
  const token = csrfIn(html);
  if (!token) throw new Error('no _csrf field on the page');
  return token;
}

/** What a product card shows for an image the shop does not serve itself. */
export const PLACEHOLDER_IMAGE = '/images/placeholder.svg';

/**
 * The `src` of a product's image. Only the shop's own images are shown: its static files under
 * /images/ and the uploads it stores (/images/uploads/…). A product saved before uploads existed
 * may still hold an external address, which the CSP would block anyway: it shows the placeholder
 * until an admin uploads an image for it.
 */
export function productImageSrc(imageUrl: string): string {
  return /^\/images\/[\w./-]+$/.test(imageUrl) && !imageUrl.includes('..') ? imageUrl : PLACEHOLDER_IMAGE;
}

/** The image types the shop accepts for uploads, by their MIME type. */
export type ImageType = 'image/jpeg' | 'image/png' | 'image/webp';

/** An uploaded image whose content was recognised; not stored anywhere yet. */
export interface ImageFile {
  bytes: Buffer;
  contentType: ImageType;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG_SIGNATURE = Buffer.from([0xff, 0xd8, 0xff]);

/**
 * The type of an image judged by its first bytes (its "magic number"), never by its name or the
 * Content-Type its sender claimed: a text file called photo.png is not a PNG. Only the three types
 * the shop serves are recognised (a GIF, an SVG, which can carry script, or anything else is
 * undefined). WebP is a RIFF container whose form type, at offset 8, is "WEBP".
 *
 * Not file-type: it is ESM-only since v17, so this CommonJS build would load it with `import()`,
 * which jest refuses without --experimental-vm-modules; three signatures do not justify that.
 */
export function imageTypeOf(bytes: Buffer): ImageType | undefined {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  if (bytes.length >= 3 && bytes.subarray(0, 3).equals(JPEG_SIGNATURE)) return 'image/jpeg';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') {
    return 'image/webp';
  }
  return undefined;
}

import { pipeline } from 'node:stream/promises';
import type { RequestHandler } from 'express';
import { notFound } from '../lib/HttpError';
import { findImage } from '../services/images';

/** A stored image never changes (a new image gets a new id), so browsers and proxies keep it a year. */
const CACHE_FOREVER = 'public, max-age=31536000, immutable';

/** Serves the product images admins uploaded (stored in GridFS); a factory like every controller. */
export function imagesController() {
  /** @route GET /images/uploads/:imageId */
  const getImage: RequestHandler<{ imageId: string }> = async (req, res) => {
    const image = await findImage(req.params.imageId);
    if (!image) throw notFound('Image');
    res.set({
      'Content-Type': image.contentType,
      'Cache-Control': CACHE_FOREVER,
      ETag: image.etag,
    });
    // X-Content-Type-Options: nosniff comes from helmet, on every response: the type was decided
    // from the file's bytes at upload, and browsers must not guess another.
    // Express compares If-None-Match with the ETag set above.
    if (req.fresh) return res.status(304).end();
    res.set('Content-Length', String(image.length));
    await pipeline(image.open(), res).catch((err: unknown) => {
      // Deleted between the lookup and the read (its product was just deleted or its image replaced).
      if (!res.headersSent) throw notFound('Image');
      throw err;
    });
  };

  return { getImage };
}

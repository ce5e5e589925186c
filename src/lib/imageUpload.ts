import type { Request, RequestHandler } from 'express';
import multer, { MulterError } from 'multer';
import { HttpError } from './HttpError';
import { imageTypeOf, type ImageFile } from './imageType';

export const MAX_IMAGE_BYTES = 2 * 1024 * 1024;
export const IMAGE_FIELD = 'image';

/** What the form's image field brought: nothing, an accepted image, or why it was refused. */
export type ImageUpload =
  { kind: 'none' } | { kind: 'image'; image: ImageFile } | { kind: 'refused'; status: 413 | 422; message: string };

const uploads = new WeakMap<Request, ImageUpload>();

/** The upload `parseImageUpload` found on this request (none when the request was not multipart). */
export function uploadedImage(req: Request): ImageUpload {
  return uploads.get(req) ?? { kind: 'none' };
}

export const IMAGE_RULES = 'a JPEG, PNG or WebP image of at most 2 MB';

/** The form's own messages for multer's limits; each is shown on the image field. */
function refusalOf(err: MulterError): Extract<ImageUpload, { kind: 'refused' }> {
  switch (err.code) {
    case 'LIMIT_FILE_SIZE':
      return { kind: 'refused', status: 422, message: `That file is larger than 2 MB. Choose ${IMAGE_RULES}.` };
    case 'LIMIT_FILE_COUNT':
      return { kind: 'refused', status: 422, message: 'Choose one image only.' };
    case 'LIMIT_UNEXPECTED_FILE':
      return { kind: 'refused', status: 422, message: 'The form takes one file only, in its image field.' };
    default:
      // Too many fields or parts, or a field too long: the same limits as every other form's body.
      return { kind: 'refused', status: 413, message: 'The form sent too much; nothing was saved. Please try again.' };
  }
}

/**
 * Parses a multipart form (the product forms) into `req.body` and keeps its one image in memory
 * (never on disk; it is stored in the database only once the whole form is valid). The file's type
 * is decided by its bytes. Limits mirror the other forms' body limits, plus one file of 2 MB.
 * A limit or a wrong file is not an error page: the form is shown again with the message on its
 * image field (see `uploadedImage`). A body that is not multipart passes through untouched.
 */
export function parseImageUpload(): RequestHandler {
  const parse = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: MAX_IMAGE_BYTES,
      files: 1,
      fields: 20,
      parts: 21,
      fieldSize: 100 * 1024,
      fieldNameSize: 100,
      headerPairs: 20,
    },
  }).single(IMAGE_FIELD);

  return (req, res, next) => {
    parse(req, res, (err: unknown) => {
      if (err instanceof MulterError) {
        uploads.set(req, refusalOf(err));
        return next();
      }
      // A malformed multipart body (busboy's "Unexpected end of form" and the like).
      if (err) return next(new HttpError(400, 'The form could not be read. Please try again.'));
      const file = req.file;
      if (!file) return next();
      const contentType = imageTypeOf(file.buffer);
      uploads.set(
        req,
        contentType
          ? { kind: 'image', image: { bytes: file.buffer, contentType } }
          : {
              kind: 'refused',
              status: 422,
              message: `That file is not an image the shop takes. Choose ${IMAGE_RULES}.`,
            },
      );
      next();
    });
  };
}

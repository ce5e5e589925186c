import type { Readable } from 'node:stream';
import mongoose, { isObjectIdOrHexString, mongo } from 'mongoose';
import type { ImageFile } from '../lib/imageType';
import { Product } from '../models/Product';

/**
 * Uploaded product images live in MongoDB's GridFS (bucket `images`: collections images.files and
 * images.chunks), so every instance of the shop serves every image and no instance needs a disk.
 * A stored file never changes: a new image is a new file with a new id, which is why its URL can
 * be cached for a year.
 */
export const IMAGE_BUCKET = 'images';
const UPLOADS_PATH = '/images/uploads/';

// One bucket per connection: a new one would check the bucket's indexes again before each upload.
const buckets = new WeakMap<mongo.Db, mongo.GridFSBucket>();

function bucket(): mongo.GridFSBucket {
  const db = mongoose.connection.db;
  if (!db) throw new Error('not connected to the database');
  let found = buckets.get(db);
  if (!found) buckets.set(db, (found = new mongo.GridFSBucket(db, { bucketName: IMAGE_BUCKET })));
  return found;
}

/** Where the shop serves a stored image. */
export const imageUrlOf = (id: mongo.ObjectId): string => `${UPLOADS_PATH}${id.toHexString()}`;

/** The stored file behind a product's image URL; undefined for a static or external image. */
export function storedImageIdOf(imageUrl: string): mongo.ObjectId | undefined {
  const match = /^\/images\/uploads\/([0-9a-f]{24})$/.exec(imageUrl);
  return match ? new mongo.ObjectId(match[1]) : undefined;
}

/** Stores an image (already checked) and returns its id once every chunk is written. */
export async function storeImage({ bytes, contentType }: ImageFile): Promise<mongo.ObjectId> {
  const upload = bucket().openUploadStream('product-image', { metadata: { contentType } });
  await new Promise<void>((resolve, reject) => {
    upload.once('finish', () => resolve());
    upload.once('error', reject);
    upload.end(bytes);
  });
  return upload.id as mongo.ObjectId;
}

/** Deletes a stored image; one already gone (deleted by a racing request, or swept) is fine. */
export async function deleteImage(id: mongo.ObjectId): Promise<void> {
  try {
    await bucket().delete(id);
  } catch (err) {
    if (!(err instanceof mongo.MongoRuntimeError && /File not found/.test(err.message))) throw err;
  }
}

/** Deletes the stored file behind a product's image URL, if it has one. */
export async function deleteImageAt(imageUrl: string): Promise<void> {
  const id = storedImageIdOf(imageUrl);
  if (id) await deleteImage(id);
}

export interface StoredImage {
  contentType: string;
  length: number;
  /** Strong: a stored file never changes, so its id names its bytes. */
  etag: string;
  open(): Readable;
}

/** The stored image with this id (as in its URL); undefined for a malformed or unknown id. */
export async function findImage(id: string): Promise<StoredImage | undefined> {
  if (!/^[0-9a-f]{24}$/.test(id) || !isObjectIdOrHexString(id)) return undefined;
  const fileId = new mongo.ObjectId(id);
  const [file] = await bucket().find({ _id: fileId }).limit(1).toArray();
  const contentType: unknown = file?.metadata?.contentType;
  if (!file || typeof contentType !== 'string') return undefined;
  return {
    contentType,
    length: file.length,
    etag: `"${id}"`,
    open: () => bucket().openDownloadStream(fileId),
  };
}

/**
 * Deletes stored images that no product shows and that are older than `graceMs`: what a crash
 * left between storing a new image and saving the product, or between saving the product and
 * deleting its old image. The grace keeps an upload whose product is still being saved.
 */
export async function sweepUnusedImages(graceMs = 60 * 60 * 1000): Promise<number> {
  const before = new Date(Date.now() - graceMs);
  const files = await bucket()
    .find({ uploadDate: { $lt: before } }, { projection: { _id: 1 } })
    .toArray();
  let deleted = 0;
  for (const { _id } of files) {
    if (await Product.exists({ imageUrl: imageUrlOf(_id) })) continue;
    await deleteImage(_id);
    deleted += 1;
  }
  return deleted;
}

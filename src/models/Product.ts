import { Schema, model, type HydratedDocument, type Model, type Types } from 'mongoose';
import type { Cents } from '../lib/money';

export interface ProductFields {
  title: string;
  priceCents: Cents;
  description: string;
  imageUrl: string;
  /** Who created it: only they may edit or delete it. */
  userId: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
}

interface ProductMethods {
  isOwnedBy(userId: Types.ObjectId): boolean;
}

type ProductModel = Model<ProductFields, object, ProductMethods>;
export type ProductDocument = HydratedDocument<ProductFields, ProductMethods>;

const productSchema = new Schema<ProductFields, ProductModel, ProductMethods>(
  {
    title: { type: String, required: true, trim: true, maxlength: 100 },
    priceCents: { type: Number, required: true, min: 1, validate: Number.isInteger },
    description: { type: String, required: true, trim: true, maxlength: 1000 },
    imageUrl: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
  },
  { timestamps: true },
);

// The shop lists newest first (ties broken by _id, so the index gives the whole sort); the admin
// page lists one owner's products, newest first.
productSchema.index({ createdAt: -1, _id: -1 });
productSchema.index({ userId: 1, createdAt: -1 });

productSchema.method('isOwnedBy', function isOwnedBy(userId: Types.ObjectId) {
  return this.userId.equals(userId);
});

export const Product = model<ProductFields, ProductModel>('Product', productSchema);

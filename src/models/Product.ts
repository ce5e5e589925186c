import { Schema, model, type HydratedDocument, type Model, type Types } from 'mongoose';
import type { Cents } from '../lib/money';

export interface ProductFields {
  title: string;
  priceCents: Cents;
  description: string;
  imageUrl: string;
  /** The admin who added it. */
  userId: Types.ObjectId;
  /** The admin who last changed it (the creator until someone edits it). */
  updatedBy?: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
}

type ProductModel = Model<ProductFields>;
export type ProductDocument = HydratedDocument<ProductFields>;

const productSchema = new Schema<ProductFields, ProductModel>(
  {
    title: { type: String, required: true, trim: true, maxlength: 100 },
    priceCents: { type: Number, required: true, min: 1, validate: Number.isInteger },
    description: { type: String, required: true, trim: true, maxlength: 1000 },
    imageUrl: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    updatedBy: { type: Schema.Types.ObjectId, ref: 'User' },
  },
  { timestamps: true },
);

// The shop and the admin list show newest first (ties broken by _id, so the index gives the
// whole sort).
productSchema.index({ createdAt: -1, _id: -1 });

export const Product = model<ProductFields, ProductModel>('Product', productSchema);

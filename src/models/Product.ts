import { Schema, model, type HydratedDocument, type Model, type Types } from 'mongoose';
import type { Cents } from '../lib/money';
import { searchTermsOf } from './searchTerms';

export interface ProductFields {
  title: string;
  priceCents: Cents;
  description: string;
  imageUrl: string;
  /** A category's slug (the list is configured: PRODUCT_CATEGORIES); unset on older products. */
  category?: string;
  /** Kept by the model from the title and description (see searchTerms.ts); never shown. */
  searchTerms: string[];
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
    category: { type: String, trim: true, maxlength: 60 },
    searchTerms: { type: [String], default: [], select: false },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    updatedBy: { type: Schema.Types.ObjectId, ref: 'User' },
  },
  { timestamps: true },
);

// The shop and the admin list show newest first (ties broken by _id, so the index gives the
// whole sort), also within a category; a search looks its words up in searchTerms.
productSchema.index({ createdAt: -1, _id: -1 });
productSchema.index({ category: 1, createdAt: -1, _id: -1 });
productSchema.index({ searchTerms: 1 });

// Saving through the document (create, edit) keeps the terms in step with the text.
productSchema.pre('save', function keepSearchTerms() {
  if (this.isModified('title') || this.isModified('description') || this.isNew) {
    this.searchTerms = searchTermsOf(this.title, this.description);
  }
});

export const Product = model<ProductFields, ProductModel>('Product', productSchema);

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
  /**
   * How many the shop has to sell (0 to MAX_STOCK). Orders take from it and cancellations give back
   * through conditional `$inc`s (models/stock.ts); an admin's form sets it.
   */
  stock: number;
  /**
   * The stock moves applied to this product and not yet forgotten (`take:<orderId>`,
   * `return:<orderId>`), written in the same update as their `$inc`: a move retried after a crash
   * finds its marker and is not applied twice. Never shown.
   */
  stockMoves?: string[];
  /** Kept by the model from the title and description (see searchTerms.ts); never shown. */
  searchTerms: string[];
  /** The admin who added it. */
  userId: Types.ObjectId;
  /** The admin who last changed it (the creator until someone edits it). */
  updatedBy?: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
}

/** The most an admin may enter as a product's stock. */
export const MAX_STOCK = 100_000;
/** At or below this, a product says "Only N left". */
export const LOW_STOCK = 5;

/** What a product card and page say about the stock. */
export function stockLabel(stock: number): string {
  if (stock <= 0) return 'Out of stock';
  return stock <= LOW_STOCK ? `Only ${stock} left` : 'In stock';
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
    // Products stored before stock existed get 0 at start (models/migrations.ts): nobody counted them.
    stock: { type: Number, required: true, default: 0, min: 0, max: MAX_STOCK, validate: Number.isInteger },
    stockMoves: { type: [String], default: undefined, select: false },
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

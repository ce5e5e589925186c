import mongoose from 'mongoose';
import { seedDemoData } from '../../../src/seed/demoData';

/**
 * The products src/seed/demoData.ts adds, newest first as the shop lists them (8 to a page), with
 * the prices a person sees. Tests name products by what is on the page, never by database id.
 */
export const DEMO = {
  mug: { title: 'Stoneware Mug', price: '$18.00' },
  notebook: { title: 'Linen Notebook', price: '$14.50' },
  blanket: { title: 'Wool Throw Blanket', price: '$89.00' },
  lamp: { title: 'Brass Desk Lamp', price: '$120.00' },
  planter: { title: 'Ceramic Planter', price: '$32.00' },
  tote: { title: 'Cotton Tote Bag', price: '$22.00' },
  board: { title: 'Oak Cutting Board', price: '$45.00' },
  candle: { title: 'Beeswax Candle', price: '$16.50' },
} as const;

/** Seeds the demo user and products into the database at `uri` (before the server starts on it). */
export async function seedDemoProducts(uri: string): Promise<void> {
  const connection = await mongoose.connect(uri, { serverSelectionTimeoutMS: 3000 });
  try {
    // BCRYPT_COST 4, like the test server: the demo user's hash is cheap to make.
    const added = await seedDemoData(4);
    if (added !== 12) throw new Error(`seedDemoData added ${added} products, not 12: is the database fresh?`);
  } finally {
    await connection.disconnect();
  }
}

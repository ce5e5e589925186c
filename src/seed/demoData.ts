import { hashPassword } from '../lib/passwords';
import { Product } from '../models/Product';
import { searchTermsOf } from '../models/searchTerms';
import { User, type Role } from '../models/User';

/** Demo data only: public logins that anyone reading the README knows. Never seed them in production. */
export const DEMO_USER = { email: 'demo@fernhill.example', password: 'demo-password-fernhill' };
/** The demo shop's staff account: it may manage products and orders. */
export const DEMO_ADMIN = { email: 'admin@fernhill.example', password: 'admin-password-fernhill' };

/** Title, price in cents, image, category (slugs of the default PRODUCT_CATEGORIES), description. */
const DEMO_PRODUCTS = [
  [
    'Stoneware Mug',
    1800,
    'mug',
    'kitchen',
    'A hand-thrown stoneware mug with a speckled glaze. Holds a generous 350 ml.',
  ],
  [
    'Linen Notebook',
    1450,
    'notebook',
    'stationery',
    'A5, 160 pages of dot-grid paper in a linen cover that lies flat when open.',
  ],
  [
    'Wool Throw Blanket',
    8900,
    'blanket',
    'home',
    'Soft lambswool, woven in a small mill. 130 × 170 cm, warm without weight.',
  ],
  ['Brass Desk Lamp', 12000, 'lamp', 'home', 'A solid brass lamp with an adjustable shade and a warm-white LED bulb.'],
  [
    'Ceramic Planter',
    3200,
    'planter',
    'garden',
    'Terracotta planter with a drainage hole and saucer, for herbs or a small fern.',
  ],
  [
    'Cotton Tote Bag',
    2200,
    'tote',
    'clothing-bags',
    'Heavy organic cotton tote with long handles and an inside pocket.',
  ],
  ['Oak Cutting Board', 4500, 'board', 'kitchen', 'Solid oak, oiled by hand, with a juice groove on one side.'],
  [
    'Beeswax Candle',
    1650,
    'candle',
    'home',
    'Pure beeswax pillar candle with a cotton wick; burns for about 40 hours.',
  ],
  ['Enamel Teapot', 5400, 'teapot', 'kitchen', 'A 1.2 litre enamel teapot with a stainless steel infuser.'],
  [
    'Leather Journal Cover',
    3800,
    'journal',
    'stationery',
    'Vegetable-tanned leather cover that fits the Linen Notebook, with a strap.',
  ],
  [
    'Glass Carafe',
    2750,
    'carafe',
    'kitchen',
    'Mouth-blown borosilicate carafe, 1 litre, with a glass that doubles as a lid.',
  ],
  ['Knitted Beanie', 2400, 'beanie', 'clothing-bags', 'Merino wool beanie with a turned-up cuff and a pompom.'],
] as const;

/** How many of each demo product the shop has: most in stock, one running low, one sold out. */
const DEMO_STOCK: Record<string, number> = { 'Enamel Teapot': 3, 'Knitted Beanie': 0 };
const DEMO_STOCK_DEFAULT = 25;

/** The account with this email, created with `role` if it does not exist (an existing one is left as it is). */
async function demoAccount(login: { email: string; password: string }, role: Role, bcryptCost: number) {
  const existing = await User.findOne({ email: login.email });
  return (
    existing ??
    // Verified: a newcomer logs in with the demo accounts without any mail.
    User.create({
      email: login.email,
      password: await hashPassword(login.password, bcryptCost),
      role,
      emailVerifiedAt: new Date(),
    })
  );
}

/**
 * Adds the demo customer, the demo admin and a dozen products (added by the admin). Idempotent:
 * running it again changes nothing. Returns how many products it added.
 */
export async function seedDemoData(bcryptCost: number): Promise<number> {
  await demoAccount(DEMO_USER, 'customer', bcryptCost);
  const admin = await demoAccount(DEMO_ADMIN, 'admin', bcryptCost);

  let added = 0;
  // One at a time and oldest first, so that "newest first" lists them in the order above.
  for (const [title, priceCents, image, category, description] of [...DEMO_PRODUCTS].reverse()) {
    const result = await Product.updateOne(
      { title },
      {
        $setOnInsert: {
          priceCents,
          description,
          imageUrl: `/images/${image}.svg`,
          category,
          stock: DEMO_STOCK[title] ?? DEMO_STOCK_DEFAULT,
          searchTerms: searchTermsOf(title, description),
          userId: admin._id,
          updatedBy: admin._id,
        },
      },
      { upsert: true },
    );
    added += result.upsertedCount;
  }
  return added;
}

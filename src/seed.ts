import mongoose from 'mongoose';
import { connectMongoose, runningEmbeddedDatabase } from './db';
import { ConfigError, DATA_DIR, loadConfig } from './config/env';
import { DEMO_ADMIN, DEMO_USER, seedDemoData } from './seed/demoData';

/**
 * `npm run seed`: adds the demo user and products to the database named by MONGODB_URI or, without
 * it, to the embedded database of the `npm start` running in this folder.
 */
async function main() {
  const config = loadConfig();
  const uri = config.MONGODB_URI ?? runningEmbeddedDatabase(DATA_DIR);
  if (!uri) {
    console.error(
      'No database to seed: set MONGODB_URI, or start the shop (npm start), which seeds its empty embedded database by itself.',
    );
    process.exit(1);
  }
  await connectMongoose(uri, config);
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  const added = await seedDemoData(config.BCRYPT_COST);
  console.log(
    `Seeded ${added} products. Demo logins: ${DEMO_USER.email} / ${DEMO_USER.password} (customer), ` +
      `${DEMO_ADMIN.email} / ${DEMO_ADMIN.password} (admin)`,
  );
  await mongoose.disconnect();
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});

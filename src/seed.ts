import mongoose from 'mongoose';
import { connectMongoose } from './db';
import { ConfigError, loadConfig } from './config/env';
import { DEMO_ADMIN, DEMO_USER, seedDemoData } from './seed/demoData';

/** `npm run seed`: adds the demo user and products to the database named by MONGODB_URI. */
async function main() {
  const config = loadConfig();
  if (!config.MONGODB_URI) {
    console.error('Set MONGODB_URI to seed a database (npm start seeds its embedded database by itself).');
    process.exit(1);
  }
  await connectMongoose(config.MONGODB_URI, config);
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

import mongoose from 'mongoose';
import { ConfigError, DATA_DIR, loadConfig } from '../config/env';
import { connectMongoose, runningEmbeddedDatabase } from '../db';
import { User, type Role } from '../models/User';
import { messageOf } from '../lib/messageOf';

const USAGE = 'Usage: npm run admin -- grant EMAIL | revoke EMAIL';

/**
 * `npm run admin -- grant EMAIL` makes an account an admin; `revoke` makes it a customer again.
 * The change applies from the account's next request (the user is re-read on every request).
 */
async function main(argv: string[]): Promise<number> {
  const [command, email] = argv;
  const role: Role | undefined = command === 'grant' ? 'admin' : command === 'revoke' ? 'customer' : undefined;
  if (!role || !email) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  // Without MONGODB_URI: the embedded database of the `npm start` running in this folder.
  const uri = config.MONGODB_URI ?? runningEmbeddedDatabase(DATA_DIR);
  if (!uri) {
    console.error(
      'No database to change: start the shop (npm start) in this folder, or set MONGODB_URI to the ' +
        'database of the shop whose accounts you want to change.',
    );
    return 1;
  }
  await connectMongoose(uri, config);
  try {
    const user = await User.findOne({ email: email.trim().toLowerCase() });
    if (!user) {
      console.error(`No account has the email ${email}.`);
      return 1;
    }
    await User.updateOne({ _id: user._id }, { $set: { role } });
    const was = user.role === role ? ` (it already was ${article(role)})` : '';
    console.log(`${user.email} is now ${article(role)}${was}.`);
    return 0;
  } finally {
    await mongoose.disconnect();
  }
}

const article = (role: Role) => (role === 'admin' ? 'an admin' : 'a customer');

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : `Could not change the account: ${messageOf(err)}`);
    process.exit(1);
  },
);

import mongoose from 'mongoose';
import { ConfigError, DATA_DIR, loadConfig } from '../config/env';
import { connectMongoose, runningEmbeddedDatabase } from '../db';
import { sessionStoreOptions } from '../config/session';
import { User, type Role, type UserDocument } from '../models/User';
import { createLogger } from '../lib/logger';
import { messageOf } from '../lib/messageOf';
import { createMailer } from '../lib/mailer';
import { endSessionsOfAccount, resetTwoFactorOfAccount, sessionCount } from '../services/adminUsers';
import { SessionSecretsMismatchError, sessionStoreBeside } from '@fernhill/session-store';

const USAGE = 'Usage: npm run admin -- grant EMAIL | revoke EMAIL | end-sessions EMAIL | reset-two-factor EMAIL';
const COMMANDS = ['grant', 'revoke', 'end-sessions', 'reset-two-factor'] as const;
type Command = (typeof COMMANDS)[number];
const isCommand = (value: unknown): value is Command => COMMANDS.includes(value as Command);

/**
 * `npm run admin -- grant EMAIL` makes an account an admin; `revoke` makes it a customer again.
 * The change applies from the account's next request (the user is re-read on every request).
 * `end-sessions EMAIL` signs the account out everywhere (its sessions, logins in flight and
 * remembered browsers), as "End sessions" on /admin/users does. `reset-two-factor EMAIL` turns
 * off the second factor of someone who lost phone and recovery codes, once the shop has checked who
 * they are (docs/security.md), and mails them.
 */
async function main(argv: string[]): Promise<number> {
  const [command, email] = argv;
  if (!isCommand(command) || !email) {
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
    if (!user) return gone(email);
    if (command === 'end-sessions') {
      // The app's own store (the running shop's) keeps the indexes; this one only deletes.
      const store = await sessionStoreBeside(
        sessionStoreOptions(config, mongoose.connection, createLogger('silent')),
      ).catch((err: unknown) => {
        if (!(err instanceof SessionSecretsMismatchError)) throw err;
        throw new Error(
          "the shop's sessions are keyed or sealed with other secrets: run this with the shop's " +
            'SESSION_ID_HASH_SECRET and DATA_ENCRYPTION_KEY (its environment, or the .data/ of the npm start in this folder).',
        );
      });
      const ended = await endSessionsOfAccount(user._id, store);
      if (ended === null) return gone(email);
      console.log(`Ended ${sessionCount(ended)} of ${user.email}: it is signed out everywhere.`);
      return 0;
    }
    if (command === 'reset-two-factor') {
      const sendMail = createMailer(config, createLogger('silent'));
      if (!(await resetTwoFactorOfAccount(user, { config, sendMail }))) {
        console.log(`${user.email} has no second factor: nothing to reset.`);
        return 0;
      }
      console.log(`Two-step sign-in is off for ${user.email}, its trusted browsers are forgotten, and it was mailed.`);
      return 0;
    }
    return await setRole(user, command === 'grant' ? 'admin' : 'customer');
  } finally {
    await mongoose.disconnect();
  }
}

async function setRole(user: UserDocument, role: Role): Promise<number> {
  await User.updateOne({ _id: user._id }, { $set: { role } });
  const was = user.role === role ? ` (it already was ${article(role)})` : '';
  console.log(`${user.email} is now ${article(role)}${was}.`);
  return 0;
}

function gone(email: string): number {
  console.error(`No account has the email ${email}.`);
  return 1;
}

const article = (role: Role) => (role === 'admin' ? 'an admin' : 'a customer');

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : `Could not change the account: ${messageOf(err)}`);
    process.exit(1);
  },
);

import { execFile } from 'node:child_process';
import path from 'node:path';
import { User } from '../src/models/User';
import { createUser, uniqueEmail } from './helpers/http';
import { TEST_SECRET, useTestDatabase } from './helpers/testApp';

const database = useTestDatabase();
const ROOT = path.resolve(__dirname, '..');

/** `npm run admin -- …args`: the built script (jest's globalSetup builds it), on this file's database. */
function adminCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'dist', 'cli', 'admin.js'), ...args],
      { env: { PATH: process.env.PATH, NODE_ENV: 'test', MONGODB_URI: database(), SESSION_SECRET: TEST_SECRET } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

it('grants and revokes the admin role by email, saying what it did', async () => {
  const email = uniqueEmail();
  await createUser(email);

  const granted = await adminCli('grant', email.toUpperCase());
  expect(granted).toMatchObject({ code: 0, stdout: `${email} is now an admin.\n` });
  expect((await User.findOne({ email }))?.role).toBe('admin');

  const revoked = await adminCli('revoke', email);
  expect(revoked).toMatchObject({ code: 0, stdout: `${email} is now a customer.\n` });
  expect((await User.findOne({ email }))?.role).toBe('customer');
}, 30_000);

it('exits non-zero with one sentence for an unknown email or a wrong command', async () => {
  const unknown = await adminCli('grant', 'nobody@example.com');
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toBe('No account has the email nobody@example.com.\n');

  const wrong = await adminCli('promote', 'x@example.com');
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toContain('Usage: npm run admin -- grant EMAIL | revoke EMAIL');
}, 30_000);

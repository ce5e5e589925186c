import fs from 'node:fs';
import path from 'node:path';
import { TEST_OUTBOX } from './testApp';

/** Waits for a mail to `to` in the test outbox and returns its text. */
export async function waitForMail(to: string, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const files = fs.existsSync(TEST_OUTBOX) ? fs.readdirSync(TEST_OUTBOX) : [];
    for (const file of files) {
      const text = fs.readFileSync(path.join(TEST_OUTBOX, file), 'utf8');
      if (text.includes(`To: ${to}`)) return text;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no mail to ${to} within ${timeoutMs} ms`);
}

export function mailsTo(to: string): number {
  if (!fs.existsSync(TEST_OUTBOX)) return 0;
  return fs
    .readdirSync(TEST_OUTBOX)
    .filter((f) => fs.readFileSync(path.join(TEST_OUTBOX, f), 'utf8').includes(`To: ${to}`)).length;
}

/** The reset link's path (/reset/<token>) in a mail. */
export function resetPathIn(mail: string): string {
  const match = /\/reset\/([\w-]{43})/.exec(mail.replace(/=\r?\n/g, ''));
  if (!match) throw new Error('no reset link in the mail');
  return `/reset/${match[1]}`;
}

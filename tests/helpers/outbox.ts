import * as outbox from '../../support/outbox';
import { TEST_OUTBOX } from './testApp';

/** Waits for the mail to `to` in the test outbox and returns its text. */
export async function waitForMail(to: string, timeoutMs = 5000): Promise<string> {
  return (await outbox.waitForMailTo(TEST_OUTBOX, to, timeoutMs)).text;
}

/** How many mails were sent to `to`. */
export async function mailsTo(to: string): Promise<number> {
  return (await outbox.mailsTo(TEST_OUTBOX, to)).length;
}

/** The reset link's path (/reset/<token>) in a mail's text. */
export function resetPathIn(mail: string): string {
  const match = /\/reset\/([\w-]{43})/.exec(mail);
  if (!match) throw new Error('no reset link in the mail');
  return `/reset/${match[1]}`;
}

/** The texts of the mails to `to`, oldest first, once there are at least `count` (or after `timeoutMs`). */
export async function waitForMails(to: string, count: number, timeoutMs = 5000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let mails = await outbox.mailsTo(TEST_OUTBOX, to);
  while (mails.length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    mails = await outbox.mailsTo(TEST_OUTBOX, to);
  }
  return mails.map((mail) => mail.text);
}

/** Waits for the mail to `to` and returns it whole (subject and text). */
export function waitForMailWithSubject(to: string, timeoutMs = 5000): Promise<outbox.OutboxMail> {
  return outbox.waitForMailTo(TEST_OUTBOX, to, timeoutMs);
}

import { afterResponseSettled } from '../../src/lib/afterResponse';
import * as outbox from '../../support/outbox';
import { waitFor } from '../../support/waitFor';
import { TEST_OUTBOX } from './testApp';

/** Generous: the wait ends as soon as the mail is there, and a busy machine may take seconds. */
const MAIL_TIMEOUT_MS = 15_000;

/** Waits for the mail to `to` in the test outbox and returns its text. */
export async function waitForMail(to: string, timeoutMs = MAIL_TIMEOUT_MS): Promise<string> {
  return (await outbox.waitForMailTo(TEST_OUTBOX, to, timeoutMs)).text;
}

/**
 * How many mails were sent to `to`, once the work the app does after its responses so far has
 * finished (mail goes out after the response): 0 means none was sent, not that one is late.
 * (Order status mails are sent apart from that work; wait for them with `waitForMails`.)
 */
export async function mailsTo(to: string): Promise<number> {
  await afterResponseSettled();
  return (await outbox.mailsTo(TEST_OUTBOX, to)).length;
}

/** The subjects of the mails sent to `to` so far, oldest first (once the after-response work has finished). */
export async function subjectsTo(to: string): Promise<string[]> {
  await afterResponseSettled();
  return (await outbox.mailsTo(TEST_OUTBOX, to)).map((mail) => mail.subject);
}

/** The reset link's path (/reset/<token>) in a mail's text. */
export function resetPathIn(mail: string): string {
  const match = /\/reset\/([\w-]{43})/.exec(mail);
  if (!match) throw new Error('no reset link in the mail');
  return `/reset/${match[1]}`;
}

/** The texts of the mails to `to`, oldest first, once there are at least `count`. */
export async function waitForMails(to: string, count: number, timeoutMs = MAIL_TIMEOUT_MS): Promise<string[]> {
  const mails = await waitFor(
    `${count} mails to ${to}`,
    async () => {
      const found = await outbox.mailsTo(TEST_OUTBOX, to);
      return found.length >= count ? found : undefined;
    },
    timeoutMs,
    25,
  );
  return mails.map((mail) => mail.text);
}

/** Waits for the mail to `to` and returns it whole (subject and text). */
export function waitForMailWithSubject(to: string, timeoutMs = MAIL_TIMEOUT_MS): Promise<outbox.OutboxMail> {
  return outbox.waitForMailTo(TEST_OUTBOX, to, timeoutMs);
}

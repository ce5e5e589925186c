import fs from 'node:fs/promises';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { waitFor } from './waitFor';

/**
 * The mail a server wrote to its MAIL_OUTBOX_DIR (one .eml file per message, no SMTP server
 * needed), as a reader sees it: parsed by mailparser, whatever transfer encoding nodemailer chose.
 */
export interface OutboxMail {
  file: string;
  /** The addresses of the To header. */
  to: string[];
  subject: string;
  text: string;
}

const addressesOf = (to: AddressObject | AddressObject[] | undefined): string[] =>
  [to ?? []].flat().flatMap((header) => header.value.flatMap((address) => address.address ?? []));

async function readMail(file: string): Promise<OutboxMail> {
  const parsed = await simpleParser(await fs.readFile(file));
  return { file, to: addressesOf(parsed.to), subject: parsed.subject ?? '', text: parsed.text ?? '' };
}

/** The mails in `outboxDir` to `address`, oldest first (the file names start with the time). */
export async function mailsTo(outboxDir: string, address: string): Promise<OutboxMail[]> {
  const names = await fs.readdir(outboxDir).catch(() => []);
  const mails = await Promise.all(
    names
      .filter((name) => name.endsWith('.eml'))
      .sort()
      // A file being written may not parse yet: it is read again on the next look.
      .map((name) => readMail(path.join(outboxDir, name)).catch(() => undefined)),
  );
  return mails.filter((mail): mail is OutboxMail => mail?.to.includes(address) ?? false);
}

/**
 * Waits for the one mail sent to `address` (with `subject`, if given) — it is sent after the
 * response, so it may arrive a moment later — and returns it; throws when several were sent. Give
 * each visitor a new address.
 */
export async function waitForMailTo(
  outboxDir: string,
  address: string,
  timeoutMs = 15_000,
  subject?: string,
): Promise<OutboxMail> {
  const mails = await waitFor(
    `a mail to ${address} in ${outboxDir}`,
    async () => {
      const found = (await mailsTo(outboxDir, address)).filter(
        (mail) => subject === undefined || mail.subject === subject,
      );
      // A mail file is written in one call; a partly written one has no text yet and is read again.
      return found.length > 1 || found[0]?.text ? found : undefined;
    },
    timeoutMs,
    50,
  );
  if (mails.length > 1) throw new Error(`${mails.length} mails were sent to ${address}, not one`);
  return mails[0]!;
}

/** The first http(s) link in a mail's text. */
export function linkIn(mail: OutboxMail): string {
  const link = /https?:\/\/\S+/.exec(mail.text)?.[0];
  if (!link) throw new Error(`no link in the mail "${mail.subject}":\n${mail.text}`);
  return link;
}

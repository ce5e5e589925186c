import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config/env';
import type { Logger } from './logger';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** What the outbox keeps of a mail for /dev/mail (see controllers/devMail.ts). */
export interface OutboxCopy extends Mail {
  sentAt: string;
}

export type SendMail = (mail: Mail) => Promise<void>;

/**
 * Sends mail over SMTP_URL. Without it (development, tests) each message is written as an .eml
 * file to MAIL_OUTBOX_DIR and logged, so a reset link can be followed by hand or by a test.
 */
export function createMailer(
  config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM' | 'MAIL_OUTBOX_DIR'>,
  logger: Logger,
): SendMail {
  if (config.SMTP_URL) {
    const transport = nodemailer.createTransport(config.SMTP_URL);
    return async (mail) => {
      await transport.sendMail({ from: config.MAIL_FROM, ...mail });
    };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return async (mail) => {
    const { message } = await transport.sendMail({ from: config.MAIL_FROM, ...mail });
    await fs.mkdir(config.MAIL_OUTBOX_DIR, { recursive: true });
    const name = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const file = path.join(config.MAIL_OUTBOX_DIR, `${name}.eml`);
    // Beside the .eml a plain copy that /dev/mail reads without a MIME parser.
    const copy: OutboxCopy = { ...mail, sentAt: new Date().toISOString() };
    await fs.writeFile(path.join(config.MAIL_OUTBOX_DIR, `${name}.json`), JSON.stringify(copy));
    await fs.writeFile(file, message as Buffer);
    logger.info({ to: mail.to, subject: mail.subject, file }, 'mail written to the outbox (no SMTP_URL set)');
  };
}

/** How long to wait before each retry of a mail the server refused (three tries in all). */
export const MAIL_RETRY_DELAYS_MS = [1000, 5000];

/**
 * Retries a failed mail after each of `delaysMs`, then gives up with the last error (which the
 * caller logs). Mail is sent after the response, so the waits never slow a visitor.
 */
export function withRetries(
  send: SendMail,
  logger: Logger,
  delaysMs: readonly number[] = MAIL_RETRY_DELAYS_MS,
): SendMail {
  return async (mail) => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await send(mail);
      } catch (err) {
        const delay = delaysMs[attempt];
        if (delay === undefined) throw err;
        logger.warn({ err, subject: mail.subject, retryInMs: delay }, 'could not send a mail; trying again');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };
}

/** What paying with a card leads to: the payment's final state. */
export type CardOutcome = { state: 'succeeded' } | { state: 'failed'; failureReason: string };

/** Stripe's well-known test numbers, each with the outcome it always has here. */
export const TEST_CARDS: readonly { number: string; outcome: CardOutcome; shownAs: string }[] = [
  { number: '4242424242424242', outcome: { state: 'succeeded' }, shownAs: 'pays' },
  {
    number: '4000000000000002',
    outcome: { state: 'failed', failureReason: 'Your card was declined.' },
    shownAs: 'is declined',
  },
  {
    number: '4000000000009995',
    outcome: { state: 'failed', failureReason: 'Your card has insufficient funds.' },
    shownAs: 'has insufficient funds',
  },
];

export type CardField = 'cardNumber' | 'expiry' | 'cvc';

/** What the customer typed, to show again with the errors: never the CVC. */
export interface CardFormValues {
  cardNumber: string;
  expiry: string;
}

export type CardFormResult =
  | { valid: true; outcome: CardOutcome }
  | { valid: false; values: CardFormValues; errors: Partial<Record<CardField, string>> };

const EXPIRY = /^(\d{2})\s*\/\s*(\d{2})$/;
const CVC = /^\d{3,4}$/;
/** Long enough for any card number typed with spaces; what is longer is cut before it is shown again. */
const MAX_KEPT_LENGTH = 40;

// A repeated field arrives as an array: only a single string counts as typed.
const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

function expiryError(expiry: string, now: Date): string | undefined {
  const match = EXPIRY.exec(expiry);
  if (!match) return 'Enter the expiry date as MM/YY, for example 04/30.';
  const month = Number(match[1]);
  const year = 2000 + Number(match[2]);
  if (month < 1 || month > 12) return 'The expiry month must be from 01 to 12.';
  // A card is good until the end of its expiry month.
  const thisMonth = now.getUTCFullYear() * 12 + now.getUTCMonth();
  if (year * 12 + (month - 1) < thisMonth) return 'This card has expired.';
  return undefined;
}

/** Reads the payment form's fields: the outcome of a valid card, or what to tell the customer. */
export function readCardForm(body: Record<string, unknown>, now: Date): CardFormResult {
  const values = { cardNumber: text(body.cardNumber), expiry: text(body.expiry) };
  const card = TEST_CARDS.find(({ number }) => number === values.cardNumber.replace(/[\s-]/g, ''));
  const errors: Partial<Record<CardField, string>> = {};
  if (!card) errors.cardNumber = 'This card number is not valid.';
  const expiry = expiryError(values.expiry, now);
  if (expiry) errors.expiry = expiry;
  if (!CVC.test(text(body.cvc))) errors.cvc = 'The security code (CVC) must be 3 or 4 digits.';
  if (card && Object.keys(errors).length === 0) return { valid: true, outcome: card.outcome };
  return {
    valid: false,
    values: {
      cardNumber: values.cardNumber.slice(0, MAX_KEPT_LENGTH),
      expiry: values.expiry.slice(0, MAX_KEPT_LENGTH),
    },
    errors,
  };
}

/** Prices are kept as whole cents: integers add up exactly, unlike 0.1 + 0.2. */
export type Cents = number;

export const MAX_PRICE_CENTS: Cents = 100_000_000; // $1,000,000.00

const AMOUNT = /^(\d{1,7})(?:\.(\d{1,2}))?$/;

/** "12.5" → 1250; anything that is not a plain amount with at most two decimals → undefined. */
export function parseAmount(text: string): Cents | undefined {
  const match = AMOUNT.exec(text.trim());
  if (!match) return undefined;
  const [, whole = '0', fraction = ''] = match;
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
}

/** 1250 → "12.50", the form's way of showing a price. */
export function amountText(cents: Cents): string {
  return (cents / 100).toFixed(2);
}

const currency = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** 1250 → "$12.50" */
export function formatPrice(cents: Cents): string {
  return currency.format(cents / 100);
}

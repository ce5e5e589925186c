import { formatPrice } from '../lib/money';

/** A cart line as the buyer saw it or as it would be ordered: what it is, at what price, how many. */
export interface PricedLine {
  productId: { toString(): string };
  title: string;
  priceCents: number;
  quantity: number;
}

/**
 * What the cart page showed, carried by its order form: `productId:priceCents:quantity` per line,
 * sorted. The order is placed only if the cart still reads the same (no price the buyer did not see).
 */
export function cartFingerprint(lines: PricedLine[]): string {
  return lines
    .map((line) => `${line.productId.toString()}:${line.priceCents}:${line.quantity}`)
    .sort()
    .join(',');
}

function parse(fingerprint: string): Map<string, { priceCents: number; quantity: number }> {
  const seen = new Map<string, { priceCents: number; quantity: number }>();
  for (const entry of fingerprint.split(',')) {
    const [id, price, quantity] = entry.split(':');
    if (id && price && quantity) seen.set(id, { priceCents: Number(price), quantity: Number(quantity) });
  }
  return seen;
}

/** What changed between the cart the buyer saw and the one that would be ordered, in words. */
export function describeCartChanges(seenFingerprint: string, lines: PricedLine[]): string[] {
  const seen = parse(seenFingerprint);
  const changes: string[] = [];
  for (const line of lines) {
    const before = seen.get(line.productId.toString());
    seen.delete(line.productId.toString());
    if (!before) changes.push(`“${line.title}” is in your cart now.`);
    else if (before.priceCents !== line.priceCents) {
      changes.push(
        `“${line.title}” now costs ${formatPrice(line.priceCents)} (was ${formatPrice(before.priceCents)}).`,
      );
    } else if (before.quantity !== line.quantity) {
      changes.push(`“${line.title}”: quantity ${line.quantity} now (was ${before.quantity}).`);
    }
  }
  if (seen.size > 0) changes.push(seen.size === 1 ? 'An item left your cart.' : `${seen.size} items left your cart.`);
  return changes;
}

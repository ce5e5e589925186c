import { body } from 'express-validator';
import type { Category } from '../lib/categories';
import { MAX_PRICE_CENTS, parseAmount } from '../lib/money';
import { MAX_STOCK } from '../models/Product';

const text = (field: string, label: string, min: number, max: number) =>
  body(field)
    .isString()
    .withMessage(`Enter a ${label}.`)
    .bail()
    .trim()
    .isLength({ min, max })
    .withMessage(`The ${label} needs ${min} to ${max} characters.`);

/** A stock count typed in a form ("12"): a whole number from 0 to MAX_STOCK, else undefined. */
export function parseStock(text: string): number | undefined {
  if (!/^\d{1,6}$/.test(text.trim())) return undefined;
  const stock = Number(text.trim());
  return stock <= MAX_STOCK ? stock : undefined;
}

/**
 * The product form's rules (its image is checked on upload: lib/imageUpload.ts);
 * `categories` is the shop's configured list.
 */
export const productRules = (categories: Category[]) => [
  text('title', 'title', 3, 100),
  body('price')
    .isString()
    .withMessage('Enter a price.')
    .bail()
    .custom((value: string) => {
      const cents = parseAmount(value);
      return cents !== undefined && cents > 0 && cents <= MAX_PRICE_CENTS;
    })
    .withMessage('Enter a price such as 12.50: more than 0, at most two decimals.'),
  body('stock')
    .isString()
    .withMessage('Enter how many are in stock.')
    .bail()
    .trim()
    .custom((value: string) => parseStock(value) !== undefined)
    .withMessage(`Enter the stock as a whole number from 0 to ${MAX_STOCK.toLocaleString('en-US')}.`),
  text('description', 'description', 5, 1000),
  body('category')
    .isString()
    .withMessage('Choose a category.')
    .bail()
    .isIn(categories.map((category) => category.slug))
    .withMessage('Choose one of the categories.'),
];

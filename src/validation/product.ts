import { body } from 'express-validator';
import type { Category } from '../lib/categories';
import { MAX_PRICE_CENTS, parseAmount } from '../lib/money';

const text = (field: string, label: string, min: number, max: number) =>
  body(field)
    .isString()
    .withMessage(`Enter a ${label}.`)
    .bail()
    .trim()
    .isLength({ min, max })
    .withMessage(`The ${label} needs ${min} to ${max} characters.`);

/** The product form's rules (its image is checked on upload: middleware/imageUpload.ts); `categories` is the shop's configured list. */
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
  text('description', 'description', 5, 1000),
  body('category')
    .isString()
    .withMessage('Choose a category.')
    .bail()
    .isIn(categories.map((category) => category.slug))
    .withMessage('Choose one of the categories.'),
];

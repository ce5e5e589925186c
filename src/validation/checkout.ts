import { body } from 'express-validator';
import { SHIPPING_METHODS } from '../models/Order';

const text = (field: string, label: string, max: number, { optional = false, min = 1 } = {}) => {
  const chain = body(field);
  return (
    (optional ? chain.optional({ values: 'falsy' }) : chain)
      .isString()
      .withMessage(`Enter ${label}.`)
      .bail()
      .trim()
      .isLength({ min, max })
      .withMessage(optional ? `At most ${max} characters.` : `Enter ${label} (${min} to ${max} characters).`)
      .bail()
      // Printable text on one line: it ends up on a parcel label, an invoice and a provider's page.
      .not()
      .matches(/\p{Cc}/u)
      .withMessage('Letters, digits and punctuation on one line, please.')
  );
};

/** The checkout form's delivery address and shipping choice (a contract: the field names stay). */
export const checkoutRules = [
  text('name', 'the name of who receives it', 100),
  text('line1', 'the street and number', 100),
  text('line2', 'the second address line', 100, { optional: true }),
  text('city', 'the town or city', 60),
  body('postcode')
    .isString()
    .withMessage('Enter the postcode.')
    .bail()
    .trim()
    .matches(/^[A-Za-z0-9][A-Za-z0-9 -]{1,10}[A-Za-z0-9]$/)
    .withMessage('Enter the postcode: 3 to 12 letters, digits, spaces or dashes.'),
  text('country', 'the country', 56, { min: 2 }),
  body('shipping').isIn(SHIPPING_METHODS).withMessage('Choose standard or express shipping.'),
];

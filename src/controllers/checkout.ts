import type { Request, RequestHandler, Response } from 'express';
import { signedInUser } from '../auth/access';
import { redirectWith } from '../lib/flash';
import { formIdOf, newFormId } from '../lib/formIds';
import { HttpError } from '../lib/HttpError';
import type { Cents } from '../lib/money';
import type { DeliveryAddress, OrderDocument, OrderPayment, ShippingMethod } from '../models/Order';
import type { UserDocument } from '../models/User';
import { cartLines, cartTotal, currentCartItems } from '../services/cart';
import { cartFingerprint } from '../services/cartCheck';
import { CartChangedError, EmptyCartError, placeOrder } from '../services/checkout';
import { PaymentUnavailableError, type PaymentFlow } from '../services/payments';
import { LateOrderError } from '../services/settlement';
import { ShortStockError } from '../services/stock';
import { fieldErrors, formValue, type FieldErrors } from '../validation';

export interface CheckoutDependencies {
  payments: PaymentFlow;
  shippingRates: Record<ShippingMethod, Cents>;
  holdMinutes: number;
  provider: OrderPayment['provider'];
}

type CheckoutForm = Record<keyof DeliveryAddress | 'shipping' | 'saveAddress', string>;

/** The form as sent, strings only, to show again with its errors. */
const formOf = (body: Record<string, unknown> | undefined): CheckoutForm => ({
  name: formValue(body?.name),
  line1: formValue(body?.line1),
  line2: formValue(body?.line2),
  city: formValue(body?.city),
  postcode: formValue(body?.postcode),
  country: formValue(body?.country),
  shipping: formValue(body?.shipping),
  saveAddress: formValue(body?.saveAddress),
});

/** A form filled with the address the customer kept, if any. */
const savedFormOf = ({ savedAddress: saved }: UserDocument): CheckoutForm => ({
  ...formOf(
    saved
      ? {
          name: saved.name,
          line1: saved.line1,
          line2: saved.line2,
          city: saved.city,
          postcode: saved.postcode,
          country: saved.country,
        }
      : {},
  ),
  shipping: 'standard',
  // Kept only when asked: a first checkout leaves the box unticked; a kept address stays kept (updated).
  saveAddress: saved ? 'on' : '',
});

/** The address of a valid form (validation/checkout.ts trimmed it). */
const addressOf = (form: CheckoutForm): DeliveryAddress => ({
  name: form.name.trim(),
  line1: form.line1.trim(),
  line2: form.line2.trim(),
  city: form.city.trim(),
  postcode: form.postcode.trim().toUpperCase(),
  country: form.country.trim(),
});

/** An error the cart page explains: nothing was ordered. */
const toldInTheCart = (err: unknown) =>
  err instanceof EmptyCartError ||
  err instanceof CartChangedError ||
  err instanceof ShortStockError ||
  err instanceof LateOrderError;

/**
 * Sends the customer to pay for the order (303 to the provider's page); to the order's page with
 * the reason when the provider fails (the order keeps its hold). For the checkout and for "Pay now".
 */
export async function toPaymentPage(req: Request, res: Response, order: OrderDocument, payments: PaymentFlow) {
  try {
    res.redirect(303, await payments.paymentPageFor(order));
  } catch (err) {
    if (!(err instanceof PaymentUnavailableError)) throw err;
    await redirectWith(req, res, `/orders/${order._id.toString()}`, { kind: 'error', text: err.message });
  }
}

export function checkoutController({ payments, shippingRates, holdMinutes, provider }: CheckoutDependencies) {
  /** Renders the checkout page for the cart as it is now; to the cart with a message when it is empty. */
  async function renderCheckout(req: Request, res: Response, form: CheckoutForm, errors: FieldErrors = {}) {
    const { items } = await currentCartItems({ user: signedInUser(req) });
    const lines = await cartLines(items);
    if (lines.length === 0) {
      return redirectWith(req, res, '/cart', {
        kind: 'error',
        text: 'Your cart is empty: add something to check out.',
      });
    }
    const seenCart = cartFingerprint(
      lines.map(({ product, quantity }) => ({
        productId: product._id,
        title: product.title,
        priceCents: product.priceCents,
        quantity,
      })),
    );
    res.set('Cache-Control', 'no-store');
    res.status(Object.keys(errors).length > 0 ? 422 : 200).render('shop/checkout', {
      title: 'Checkout',
      lines,
      subtotal: cartTotal(lines),
      shippingRates,
      holdMinutes,
      seenCart: typeof req.body?.seenCart === 'string' ? req.body.seenCart : seenCart,
      formId: typeof req.body?.formId === 'string' ? req.body.formId : newFormId(),
      form,
      errors,
    });
  }

  /** @route GET /checkout — the delivery address and shipping for the cart (guests log in first). */
  const getCheckout: RequestHandler = async (req, res) => {
    await renderCheckout(req, res, savedFormOf(signedInUser(req)));
  };

  /**
   * @route POST /checkout — `name`, `line1`, `line2`, `city`, `postcode`, `country`, `shipping`,
   * `saveAddress`, `seenCart` and `formId` (its Idempotency-Key; or that header): records the order as awaiting
   * payment, its stock held, and sends the customer to the provider's payment page.
   */
  const postCheckout: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    const form = formOf(req.body);
    // The form's one-time id; a client without the form may send it as the Idempotency-Key header.
    const checkoutKey = formIdOf(req.body?.formId ?? req.get('Idempotency-Key'));
    if (!checkoutKey) throw new HttpError(400, 'This form could not be read. Please reload the page and try again.');
    const errors = fieldErrors(req);
    if (errors) return renderCheckout(req, res, form, errors);
    const address = addressOf(form);
    const seenCart: unknown = req.body?.seenCart;
    let order: OrderDocument;
    try {
      order = await placeOrder(user, {
        seenCart: typeof seenCart === 'string' ? seenCart : undefined,
        checkout: {
          address,
          shipping: {
            method: form.shipping as ShippingMethod,
            priceCents: shippingRates[form.shipping as ShippingMethod],
          },
          checkoutKey,
          holdMinutes,
          provider,
        },
      });
    } catch (err) {
      if (!toldInTheCart(err)) throw err;
      return redirectWith(req, res, '/cart', { kind: 'error', text: (err as HttpError).message });
    }
    if (form.saveAddress === 'on') await user.updateOne({ $set: { savedAddress: address } });
    await toPaymentPage(req, res, order, payments);
  };

  return { getCheckout, postCheckout };
}

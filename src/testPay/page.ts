import { TEST_CARDS, type CardField, type CardFormValues } from './cards';
import type { PaymentDocument } from './payments';

/**
 * Test Pay's pages, as another company's hosted payment page would be: plain semantic HTML, no
 * styles or scripts (the shop's Content-Security-Policy forbids inline ones, and the shop's own
 * stylesheet is not Test Pay's to use). Every value is escaped where it is placed.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe inside element content and inside a double- or single-quoted attribute. */
export const escapeHtml = (value: string | number) =>
  String(value).replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);

/** 1234, "usd" → "$12.34"; in the currency's own minor unit (a yen has none). */
export function formatAmount(amountCents: number, currency: string): string {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
  const decimals = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amountCents / 10 ** decimals);
}

function layout(title: string, main: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} – Fernhill Test Pay</title>
</head>
<body>
<header><p>Fernhill Test Pay <small>(test mode: no real card is charged)</small></p></header>
<main>
<h1>${escapeHtml(title)}</h1>
${main}
</main>
</body>
</html>
`;
}

const backLink = (payment: PaymentDocument) => `<p><a href="${escapeHtml(payment.cancelUrl)}">Back to the shop</a></p>`;

const summary = (payment: PaymentDocument) => `<dl>
<dt>Paying for</dt><dd>${escapeHtml(payment.description)}</dd>
<dt>Amount</dt><dd>${escapeHtml(formatAmount(payment.amountCents, payment.currency))}</dd>
</dl>`;

export interface CardForm {
  /** Where the form posts: this payment's own page. */
  action: string;
  values: CardFormValues;
  errors: Partial<Record<CardField, string>>;
}

const FIELDS: { name: CardField; label: string; autocomplete: string; inputmode: string; hint: string }[] = [
  { name: 'cardNumber', label: 'Card number', autocomplete: 'cc-number', inputmode: 'numeric', hint: '' },
  // Not `numeric`: a phone's number pad has no "/".
  { name: 'expiry', label: 'Expiry date', autocomplete: 'cc-exp', inputmode: 'text', hint: 'MM/YY' },
  { name: 'cvc', label: 'Security code (CVC)', autocomplete: 'cc-csc', inputmode: 'numeric', hint: '3 or 4 digits' },
];

function field({ name, label, autocomplete, inputmode, hint }: (typeof FIELDS)[number], form: CardForm): string {
  const error = form.errors[name];
  // The CVC is never shown again, even when the rest of the form is.
  const value = name === 'cvc' ? '' : form.values[name];
  const described = [hint && `${name}-hint`, error && `${name}-error`].filter(Boolean).join(' ');
  return `<p>
<label for="${name}">${escapeHtml(label)}</label>
${hint ? `<span id="${name}-hint">(${escapeHtml(hint)})</span>` : ''}
${error ? `<strong id="${name}-error">${escapeHtml(error)}</strong>` : ''}
<input id="${name}" name="${name}" type="text" inputmode="${inputmode}" autocomplete="${autocomplete}" required value="${escapeHtml(value)}"${described ? ` aria-describedby="${described}"` : ''}${error ? ' aria-invalid="true"' : ''}>
</p>`;
}

function problems(form: CardForm): string {
  const listed = FIELDS.filter(({ name }) => form.errors[name]).map(
    ({ name }) => `<li><a href="#${name}">${escapeHtml(form.errors[name] ?? '')}</a></li>`,
  );
  if (listed.length === 0) return '';
  return `<div role="alert">
<h2>The card was not charged</h2>
<ul>
${listed.join('\n')}
</ul>
</div>`;
}

/** The payment form, empty or with what was typed and what is wrong with it. */
export function paymentPage(payment: PaymentDocument, form: CardForm): string {
  const cards = TEST_CARDS.map(
    ({ number, shownAs }) => `<li><code>${escapeHtml(number.replace(/(\d{4})(?=\d)/g, '$1 '))}</code> ${shownAs}</li>`,
  );
  return layout(
    `Pay ${formatAmount(payment.amountCents, payment.currency)}`,
    `${summary(payment)}
${problems(form)}
<form method="post" action="${escapeHtml(form.action)}" novalidate>
<input type="hidden" name="token" value="${escapeHtml(payment.token)}">
${FIELDS.map((each) => field(each, form)).join('\n')}
<p><button type="submit">Pay ${escapeHtml(formatAmount(payment.amountCents, payment.currency))}</button></p>
</form>
<h2>Test cards</h2>
<ul>
${cards.join('\n')}
</ul>
<p>Any expiry date that has not passed, and any 3-digit CVC.</p>
${backLink(payment)}`,
  );
}

/** A payment already paid or declined: its outcome, and the way back to the shop. */
export function outcomePage(payment: PaymentDocument): string {
  const paid = payment.state === 'succeeded';
  return layout(
    paid ? 'Payment received' : 'Payment failed',
    `${summary(payment)}
<p>${escapeHtml(paid ? 'Your payment was received.' : (payment.failureReason ?? 'The payment failed.'))}</p>
<p><a href="${escapeHtml(payment.returnUrl)}">Return to the shop</a></p>`,
  );
}

export const expiredPage = (payment: PaymentDocument) =>
  layout(
    'This payment has expired',
    `${summary(payment)}
<p>It can no longer be paid. Nothing was charged.</p>
${backLink(payment)}`,
  );

/** A POST without the token of the payment's own page: not made there, or from a page of another payment. */
export const forbiddenPage = (payment: PaymentDocument, pagePath: string) =>
  layout(
    'This form cannot be used',
    `<p>Nothing was charged. <a href="${escapeHtml(pagePath)}">Open the payment page again</a> to pay.</p>
${backLink(payment)}`,
  );

export const notFoundPage = () =>
  layout(
    'Payment not found',
    '<p>There is no such payment. Check the link you followed, or start again at the shop.</p>',
  );

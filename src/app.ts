import fs from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import express, { type Express } from 'express';
import cookieParser from 'cookie-parser';
import session from 'express-session';
import helmet from 'helmet';
import type { Config } from './config/env';
import { guestSessionTimeout, sessionOptions } from './config/session';
import { getHealth } from './controllers/health';
import { HttpError } from './lib/HttpError';
import { afterResponseQueue } from './lib/afterResponse';
import { requestLogger, type Logger } from './lib/logger';
import { csrfMiddleware } from './middleware/csrf';
import { databaseDeadline } from './middleware/deadline';
import { loadCurrentUser } from './auth/currentUser';
import { restoreRememberedLogin } from './auth/rememberMe';
import { errorHandler, notFoundHandler } from './middleware/errors';
import { exposeFlash } from './lib/flash';
import { authRoutes } from './routes/auth';
import { adminRoutes } from './routes/admin';
import { ordersRoutes } from './routes/orders';
import { accountLinkRoutes, accountRoutes } from './routes/account';
import { shopRoutes } from './routes/shop';
import { LOW_STOCK, stockLabel } from './models/Product';
import { devRoutes } from './routes/dev';
import { imageRoutes } from './routes/images';
import { exposeCartCount } from './middleware/cartCount';
import { formatPrice } from './lib/money';
import { dateFormats } from './lib/dates';
import { newFormId } from './lib/formIds';
import { productImageSrc } from './lib/productImage';
import { createMailer, withRetries, type SendMail } from './lib/mailer';
import { createThrottles } from './services/throttle';
import type { ShopSessionStore } from './config/sessionStore';
import mongoose from 'mongoose';
import { createPayments, type Payments } from './payments';
import { paymentRoutes } from './routes/payments';
import { paymentFlow, type PaymentFlow } from './services/payments';
import type { TestPay } from './testPay';

export interface AppDependencies {
  config: Config;
  sessionStore: ShopSessionStore;
  logger: Logger;
  /** How mail leaves the app; by default SMTP_URL, or the outbox folder without it. */
  sendMail?: SendMail;
  /** The waits before each retry of a failed mail (lib/mailer.ts); tests shorten them. */
  mailRetryDelaysMs?: readonly number[];
  /** The payment provider; by default the one PAYMENT_PROVIDER names (src/payments/). */
  payments?: Payments;
}

/** What runs beside an app's requests: the payments sweep, and Test Pay's webhook deliveries. */
export interface AppPayments {
  flow: PaymentFlow;
  testPay?: TestPay;
}
const paymentsOfApps = new WeakMap<Express, AppPayments>();

/** The payments of an app createApp built (server.ts runs their sweep; tests drive it). */
export function paymentsOf(app: Express): AppPayments {
  const payments = paymentsOfApps.get(app);
  if (!payments) throw new Error('not an app of createApp');
  return payments;
}

const ROOT = path.resolve(__dirname, '..');
const VIEWS = path.join(ROOT, 'views');
const PUBLIC = path.join(ROOT, 'public');
const BODY_LIMITS = { limit: '100kb', parameterLimit: 200 } as const;
const PERMISSIONS_POLICY = [
  'accelerometer',
  'autoplay',
  'camera',
  'display-capture',
  'geolocation',
  'gyroscope',
  'magnetometer',
  'microphone',
  'midi',
  'payment',
  'screen-wake-lock',
  'serial',
  'usb',
  'xr-spatial-tracking',
]
  .map((feature) => `${feature}=()`)
  // Passkeys: this site's own pages only, never a frame of another.
  .concat('publickey-credentials-create=(self)', 'publickey-credentials-get=(self)')
  .join(', ');
/**
 * The browser half of @simplewebauthn (the same pinned release as the server's), served from our
 * own origin: the CSP allows scripts from 'self' only, never a CDN.
 */
const WEBAUTHN_BROWSER_BUNDLE = path.join(
  path.dirname(require.resolve('@simplewebauthn/browser')),
  '..',
  'dist',
  'bundle',
  'index.umd.min.js',
);

/** What every app shares: views, static files, security headers, request logging. */
function baseApp(config: Config, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  app.set('view engine', 'ejs');
  app.set('views', VIEWS);
  // Views include partials by absolute path ("/partials/head") from `root`: ejs then joins the path,
  // where a relative include looks for the file on disk at every render. Compiled templates are
  // kept where Express keeps its views (in production).
  app.engine('ejs', (file, data: { settings?: Record<string, unknown> }, done) =>
    ejs.renderFile(file, data, { root: VIEWS, cache: Boolean(data.settings?.['view cache']) }, done),
  );
  app.locals.formatPrice = formatPrice;
  app.locals.stockLabel = stockLabel;
  app.locals.lowStock = LOW_STOCK;
  app.locals.categories = config.PRODUCT_CATEGORIES;
  // Also a word new passwords must not be made of (validation/auth.ts).
  app.locals.shopName = config.SHOP_NAME;
  // Every moment a page shows is in the shop's time zone, named (lib/dates.ts).
  const { formatDate, formatDateTime } = dateFormats(config.SHOP_TIME_ZONE);
  app.locals.formatDate = formatDate;
  app.locals.formatDateTime = formatDateTime;
  app.locals.newFormId = newFormId;
  app.locals.productImageSrc = productImageSrc;
  app.use(
    helmet({
      // Plain-HTTP development would otherwise have its assets upgraded to an https:// that is not there.
      contentSecurityPolicy: {
        directives: {
          styleSrc: ["'self'"],
          // Every image is the shop's own: its static files and the uploads it stores (no data: URLs).
          imgSrc: ["'self'"],
          upgradeInsecureRequests: config.isProduction ? [] : null,
        },
      },
      strictTransportSecurity: config.isProduction,
      // Already helmet's default; stated because reset links carry their secret in the path.
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  app.use((_req, res, next) => {
    // Powerful browser features the shop never uses, off for every page and anything it embeds.
    res.set('Permissions-Policy', PERMISSIONS_POLICY);
    next();
  });
  app.use(requestLogger(logger));
  app.use(afterResponseQueue(logger));
  app.use((_req, res, next) => {
    // Defaults for every view, including error pages rendered before the session is read.
    res.locals.isAuthenticated = false;
    res.locals.isAdmin = false;
    res.locals.cartCount = 0;
    res.locals.flash = {};
    res.locals.csrfToken = () => '';
    res.locals.csrfTokenIfIssued = () => '';
    res.locals.currentPath = _req.path;
    res.locals.currentUrl = _req.originalUrl;
    next();
  });
  // Only paths under public/'s own entries (/css/…, /images/…, /favicon.svg) are looked for there:
  // a page's path never costs a look at the disk.
  const publicFiles = express.static(PUBLIC, { maxAge: config.isProduction ? '1d' : 0 });
  const publicEntries = new Set(fs.readdirSync(PUBLIC));
  app.use((req, res, next) => (publicEntries.has(req.path.split('/')[1] ?? '') ? publicFiles(req, res, next) : next()));
  app.get('/vendor/simplewebauthn-browser.js', (_req, res) => {
    res.sendFile(WEBAUTHN_BROWSER_BUNDLE, { maxAge: config.isProduction ? '1d' : 0 });
  });
  return app;
}

/**
 * Builds the shop from its dependencies. It neither connects nor listens, so tests and any number
 * of instances build it the same way (see server.ts for starting one).
 */
export function createApp({
  config,
  sessionStore,
  logger,
  sendMail,
  mailRetryDelaysMs,
  payments = createPayments(config, { db: () => mongoose.connection.db!, log: logger }),
}: AppDependencies): Express {
  const app = baseApp(config, logger);
  // One budget per request for all its database work (src/db/deadline.ts).
  // Whether the database is there is learnt from the request's own commands, never asked first:
  // a page that needs no database is served whatever state it is in.
  app.use(databaseDeadline(config.MONGODB_TIMEOUT_MS));
  app.get('/healthz', getHealth(sessionStore));
  // Uploaded images need neither a body, a session nor a CSRF token.
  app.use(imageRoutes());

  // Every mail leaves after its response, so retrying a failing mail server never slows a page.
  const mailer = withRetries(sendMail ?? createMailer(config, logger), logger, mailRetryDelaysMs);
  const flow = paymentFlow({ provider: payments.provider, sendMail: mailer, appUrl: config.APP_URL, log: logger });
  paymentsOfApps.set(app, { flow, testPay: payments.testPay });
  // Webhooks are read raw (their signature covers the bytes), with neither session nor CSRF token.
  app.use(paymentRoutes({ provider: payments.provider, payments: flow, logger, testPay: payments.testPay }));

  // Flat parsing: `email[$ne]=x` stays a plain key. JSON can still carry objects, which the
  // validators refuse (every field must be a string).
  app.use(express.urlencoded({ extended: false, ...BODY_LIMITS }));
  app.use(express.json({ limit: BODY_LIMITS.limit }));

  const throttles = createThrottles(config, logger);

  // The CSRF and device cookies are read by name; the session cookie by express-session itself.
  app.use(cookieParser());
  // The session comes before every router: each of them may read or change it.
  app.use(session(sessionOptions(config, sessionStore)));
  app.use(guestSessionTimeout(config));
  app.use(restoreRememberedLogin({ config, logger, sendMail: mailer, sessions: sessionStore }));
  app.use(loadCurrentUser);
  app.use(exposeCartCount);
  app.use(exposeFlash);
  // Every route that changes something declares its CSRF check where it is defined (routes/).
  const csrf = csrfMiddleware(config);
  app.use(csrf.exposeToken);

  app.use(
    shopRoutes({
      perPage: config.PRODUCTS_PER_PAGE,
      throttles,
      categories: config.PRODUCT_CATEGORIES,
      payments: flow,
      shippingRates: { standard: config.SHIPPING_STANDARD_CENTS, express: config.SHIPPING_EXPRESS_CENTS },
      holdMinutes: config.STOCK_HOLD_MINUTES,
      provider: payments.provider.name,
      csrf,
    }),
  );
  app.use(
    ordersRoutes({
      sendMail: mailer,
      csrf,
      seller: { name: config.SHOP_NAME, address: config.SHOP_ADDRESS, timeZone: config.SHOP_TIME_ZONE },
      appUrl: config.APP_URL,
      payments: flow,
    }),
  );
  app.use('/admin', adminRoutes({ categories: config.PRODUCT_CATEGORIES, csrf, sessions: sessionStore }));
  const accountDeps = { config, sessions: sessionStore, sendMail: mailer, logger, throttles, csrf };
  app.use(accountLinkRoutes(accountDeps));
  app.use('/account', accountRoutes(accountDeps));
  app.use(
    authRoutes({
      config,
      logger,
      sessions: sessionStore,
      throttles,
      sendMail: mailer,
      csrf,
    }),
  );

  // Every account's mail, readable by anyone who reaches the shop: on a developer's machine only,
  // and only by a page of its own (a DNS-rebinding page has another Host: see routes/dev.ts).
  if (config.devTools) app.use(devRoutes({ outboxDir: config.MAIL_OUTBOX_DIR, appUrl: config.APP_URL }));

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}

/** Answers every request with 503 while the server waits for MongoDB (see server.ts). */
export function createUnavailableApp(config: Config, logger: Logger): Express {
  const app = baseApp(config, logger);
  app.get('/healthz', (_req, res) =>
    res.status(503).json({ status: 'unavailable', reason: 'starting up: the database does not answer yet' }),
  );
  app.use((_req, _res, next) => next(new HttpError(503, 'The shop is starting up. Please try again in a moment.')));
  app.use(errorHandler(logger));
  return app;
}

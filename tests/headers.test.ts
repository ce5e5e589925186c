import request from 'supertest';
import { createUser, csrfToken, uniqueEmail } from './helpers/http';
import { capturingLogger } from './helpers/logs';
import { resetPathIn, waitForMail } from './helpers/outbox';
import { buildApp, useTestApp, useTestDatabase } from './helpers/testApp';

describe('security headers', () => {
  const testApp = useTestApp();
  const app = () => testApp().app;

  it.each(['/', '/login', '/signup', '/reset', '/products'])(
    '%s sends a Permissions-Policy that turns features off',
    async (path) => {
      const page = await request(app()).get(path).expect(200);
      const policy = String(page.headers['permissions-policy']);
      for (const feature of ['camera', 'microphone', 'geolocation', 'payment', 'usb']) {
        expect(policy).toContain(`${feature}=()`);
      }
    },
  );

  it.each(['/login', '/signup', '/reset', `/reset/${'A'.repeat(43)}`])(
    '%s is never cached, for anonymous visitors too',
    async (path) => {
      const page = await request(app()).get(path);
      expect(page.headers['cache-control']).toBe('no-store');
    },
  );

  it('answers a failed login form with no-store too (it holds the typed email)', async () => {
    const agent = request.agent(app());
    const _csrf = await csrfToken(agent, '/login');
    const failed = await agent
      .post('/login')
      .type('form')
      .send({ _csrf, email: uniqueEmail(), password: 'not the one at all' });
    expect(failed.status).toBe(422);
    expect(failed.headers['cache-control']).toBe('no-store');
  });
});

describe('reset links in logs', () => {
  const database = useTestDatabase();

  it('never writes the token: the access and error logs show /reset/[redacted]', async () => {
    const capture = capturingLogger();
    const shop = await buildApp(database(), { LOG_LEVEL: 'debug' }, capture.logger);
    try {
      const email = uniqueEmail('headers');
      await createUser(email);
      const agent = request.agent(shop.app);
      const _csrf = await csrfToken(agent, '/reset');
      await agent.post('/reset').type('form').send({ _csrf, email }).expect(302);
      const link = resetPathIn(await waitForMail(email));
      const token = link.split('/').pop()!;

      const form = await request(shop.app).get(link).set('Referer', `http://localhost:3000${link}`).expect(200);
      expect(form.headers['referrer-policy']).toBe('no-referrer');
      // An unknown token is logged by the error path too (a 410 page, a 404 for a malformed one).
      await request(shop.app)
        .get(`/reset/${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`)
        .expect(410);
      await request(shop.app).get(`/reset/${token}/more?x=1`).expect(404);

      const logs = capture.text();
      expect(logs).toContain('/reset/[redacted]');
      expect(logs).not.toContain(token);
      expect(logs).not.toContain(token.slice(0, -1));
    } finally {
      await shop.close();
    }
  });

  it('keeps every other URL as it was', async () => {
    const capture = capturingLogger();
    const shop = await buildApp(database(), {}, capture.logger);
    try {
      await request(shop.app).get('/products?page=1').expect(200);
      expect(capture.text()).toContain('"url":"/products?page=1"');
    } finally {
      await shop.close();
    }
  });
});

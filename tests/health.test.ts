import mongoose from 'mongoose';
import request from 'supertest';
import { createUnavailableApp } from '../src/app';
import { connectMongoose } from '../src/db';
import { createLogger } from '../src/lib/logger';
import { buildApp, testConfig, useTestApp } from './helpers/testApp';

const testApp = useTestApp();

describe('health and availability', () => {
  it('answers /healthz with 200 while MongoDB answers', async () => {
    const response = await request(testApp().app).get('/healthz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('answers /healthz and pages that need MongoDB with 503 and Retry-After while it is gone', async () => {
    await mongoose.disconnect();
    try {
      const health = await request(testApp().app).get('/healthz');
      expect(health.status).toBe(503);
      expect(health.body).toEqual({ status: 'unavailable', reason: 'the database does not answer' });

      const page = await request(testApp().app).get('/products').set('Accept', 'text/html');
      expect(page.status).toBe(503);
      expect(page.headers['retry-after']).toBe('5');
      expect(page.text).toContain('temporarily unavailable');
      // A page that needs no database (a form, for a visitor without a cookie) is still served.
      expect((await request(testApp().app).get('/login')).status).toBe(200);
    } finally {
      await connectMongoose(testApp().uri, testConfig());
    }
    expect((await request(testApp().app).get('/healthz')).status).toBe(200);
  });

  it('answers /healthz with 503 when the session store does not answer (closed)', async () => {
    const instance = await buildApp(testApp().uri);
    await instance.store.close();
    const health = await request(instance.app).get('/healthz');
    expect(health.status).toBe(503);
    expect(health.body).toEqual({
      status: 'unavailable',
      reason: "the session store's connection to the database does not answer",
    });
  });

  it('answers 503 from the placeholder app the server runs until MongoDB is reachable', async () => {
    const app = createUnavailableApp(testConfig(), createLogger('silent'));
    const page = await request(app).get('/');
    expect(page.status).toBe(503);
    expect(page.headers['retry-after']).toBe('5');
    expect(page.text).toContain('starting up');
    expect((await request(app).get('/healthz')).status).toBe(503);
  });
});

describe('errors', () => {
  it('shows a 404 page for an unknown route', async () => {
    const response = await request(testApp().app).get('/no/such/page');
    expect(response.status).toBe(404);
    expect(response.text).toContain('Page not found');
  });

  it('refuses a body over the size limit with 413, not 500', async () => {
    const response = await request(testApp().app)
      .post('/login')
      .type('form')
      .send({ email: 'a@example.com', password: 'x'.repeat(200_000) });
    expect(response.status).toBe(413);
  });

  it('refuses malformed JSON with 400', async () => {
    const response = await request(testApp().app)
      .post('/login')
      .set('Content-Type', 'application/json')
      .send('{"email":');
    expect(response.status).toBe(400);
  });
});

import mongoose from 'mongoose';
import request from 'supertest';
import { PASSWORD, createUser, csrfToken, uniqueEmail } from '../helpers/http';
import { storedSession, storedSessionId, useTestApp } from '../helpers/testApp';

/**
 * A budget far shorter than the password check (bcrypt at cost 15 takes seconds): the request runs
 * past its deadline while it waits for the CPU, not for the database, which answers every command.
 */
const testApp = useTestApp({ MONGODB_TIMEOUT_MS: '100' });
const SLOW_COST = 15;

describe('a login slowed by the CPU, past its database budget', () => {
  it('is not mistaken for a database that does not answer: the login is stored and redirects', async () => {
    const email = uniqueEmail('slowcpu');
    await createUser(email, PASSWORD, SLOW_COST);
    const agent = request.agent(testApp().app);
    const _csrf = await csrfToken(agent, '/login');

    const login = await agent.post('/login').type('form').send({ _csrf, email, password: PASSWORD });

    expect({ status: login.status, location: login.headers.location }).toEqual({ status: 302, location: '/' });
    const cookie = String(login.headers['set-cookie']).match(/shop\.sid=s%3A([^.;]+)/)?.[1];
    expect(
      await mongoose.connection.collection('sessions').countDocuments({ _id: storedSessionId(cookie!) as never }),
    ).toBe(1);
    expect(await storedSession(testApp().store, cookie!)).toMatchObject({ isLoggedIn: true, user: { email } });
  }, 60_000);
});

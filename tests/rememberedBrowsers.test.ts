import request from 'supertest';
import { afterResponseSettled } from '../src/lib/afterResponse';
import { RememberToken } from '../src/models/RememberToken';
import { SecurityEvent } from '../src/models/SecurityEvent';
import { PASSWORD, createUser, csrfFrom, csrfToken, uniqueEmail, type Agent } from './helpers/http';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;
const REMEMBER = 'shop.sid.remember';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

async function rememberedLogIn(email: string, userAgent: string): Promise<Agent> {
  const agent = request.agent(app()).set('User-Agent', userAgent);
  const _csrf = await csrfToken(agent, '/login');
  await agent.post('/login').type('form').send({ _csrf, email, password: PASSWORD, remember: 'on' }).expect(302);
  return agent;
}

const rememberValue = (agent: Agent) =>
  agent.jar.getCookie(REMEMBER, { domain: '127.0.0.1', path: '/', secure: false, script: false })?.value;

/** A user remembered on a laptop (Firefox) and a phone (Safari). */
async function rememberedTwice() {
  const email = uniqueEmail('remembered');
  const user = await createUser(email);
  const laptop = await rememberedLogIn(email, FIREFOX);
  const phone = await rememberedLogIn(email, SAFARI);
  return { user, laptop, phone };
}

const handlesOn = (html: string) => [...html.matchAll(/name="device" value="([\w-]+)"/g)].map((m) => m[1]!);

async function forget(agent: Agent, device: unknown) {
  const _csrf = await csrfToken(agent, '/account');
  return agent.post('/account/devices/remove').type('form').send({ _csrf, device });
}

describe('remembered browsers on /account', () => {
  it('are listed with their browser, since when and when last used, named by a handle that is no secret', async () => {
    const email = uniqueEmail('listed');
    const user = await createUser(email);
    const phone = await rememberedLogIn(email, SAFARI);
    // The phone's session ends; "remember me" logs it back in (a use: the token rotates).
    await testApp().store.destroySessionsOfUser(user._id.toString());
    expect((await phone.get('/account')).status).toBe(200);
    const laptop = await rememberedLogIn(email, FIREFOX);

    const page = (await laptop.get('/account')).text;
    const items = page.split('data-testid="remembered-browser"').slice(1);
    expect(items).toHaveLength(2);
    const laptopItem = items.find((item) => item.includes('Firefox 128 on Linux'))!;
    const phoneItem = items.find((item) => item.includes('Safari 17 on iOS'))!;
    expect(laptopItem).toContain('This browser');
    expect(laptopItem).toMatch(/Remembered since <time[^>]*>[^<]+<\/time>\s*· not used since/);
    expect(phoneItem).not.toContain('This browser');
    expect(phoneItem).toMatch(/Remembered since <time[^>]*>[^<]+<\/time>\s*· last used <time/);

    const tokens = await RememberToken.find({ userId: user._id }).lean();
    for (const token of tokens) {
      expect(page).not.toContain(token.series);
      expect(page).not.toContain(token.tokenHash);
    }
    for (const cookie of [rememberValue(laptop), rememberValue(phone)]) expect(page).not.toContain(cookie);
  });

  it('forgetting one stops it logging back in; the other still does', async () => {
    const { user, laptop, phone } = await rememberedTwice();
    const page = (await laptop.get('/account')).text;
    const phoneHandle = handlesOn(page).find((handle) =>
      page.split('data-testid="remembered-browser"').some((item) => item.includes('Safari') && item.includes(handle)),
    );

    const response = await forget(laptop, phoneHandle);
    expect([response.status, response.headers.location]).toEqual([302, '/account']);
    const after = await laptop.get('/account');
    expect(after.text).toContain('That browser is no longer remembered.');
    expect(after.text.match(/data-testid="remembered-browser"/g)).toHaveLength(1);
    await afterResponseSettled();
    expect(await SecurityEvent.countDocuments({ userId: user._id, kind: 'remembered-browser-removed' })).toBe(1);

    await testApp().store.destroySessionsOfUser(user._id.toString());
    expect((await phone.get('/account')).headers.location).toBe('/login');
    expect((await laptop.get('/account')).status).toBe(200);
  });

  it('forgetting this browser also drops its cookie', async () => {
    const { laptop } = await rememberedTwice();
    const page = (await laptop.get('/account')).text;
    const own = page.split('data-testid="remembered-browser"').find((item) => item.includes('This browser'))!;
    const response = await forget(laptop, handlesOn(own)[0]);
    expect(response.headers['set-cookie']?.toString()).toMatch(new RegExp(`${REMEMBER}=;`));
  });

  it('one already gone (two removals at once, or a handle not of this account) gets a friendly message, never a 500', async () => {
    const { laptop, phone } = await rememberedTwice();
    const [handle] = handlesOn((await laptop.get('/account')).text);
    // Two tabs (each with its own token) remove the same browser at once.
    const tokens = [csrfFrom((await laptop.get('/account')).text), csrfFrom((await phone.get('/account')).text)];
    const answers = await Promise.all([
      laptop.post('/account/devices/remove').type('form').send({ _csrf: tokens[0], device: handle }),
      phone.post('/account/devices/remove').type('form').send({ _csrf: tokens[1], device: handle }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([302, 302]);
    const messages = [(await laptop.get('/account')).text, (await phone.get('/account')).text].map(
      (html) => /That browser (?:is|was) no longer remembered\./.exec(html)?.[0],
    );
    expect(messages.sort()).toEqual([
      'That browser is no longer remembered.',
      'That browser was no longer remembered.',
    ]);

    const stranger = await rememberedTwice();
    for (const device of [handle, 'nope', ['a', 'b']]) {
      const response = await forget(stranger.laptop, device);
      expect(response.status).toBe(302);
      expect((await stranger.laptop.get('/account')).text).toContain('That browser was no longer remembered.');
    }
    expect(handlesOn((await stranger.laptop.get('/account')).text)).toHaveLength(2);
  });
});

describe('forgetting a browser, racing', () => {
  it('four devices forgetting one browser at once: one forgets it, the others hear it was gone already', async () => {
    const email = uniqueEmail('four-tabs');
    await createUser(email);
    const devices = [await rememberedLogIn(email, SAFARI)];
    for (let i = 0; i < 3; i += 1) devices.push(await rememberedLogIn(email, FIREFOX));
    const page = (await devices[1]!.get('/account')).text;
    const safari = page
      .split('data-testid="remembered-browser"')
      .slice(1)
      .find((item) => item.includes('Safari'))!;
    const [handle] = handlesOn(safari);
    const forms = await Promise.all(
      devices.map(async (agent) => ({ agent, _csrf: await csrfToken(agent, '/account') })),
    );
    const answers = await Promise.all(
      forms.map(({ agent, _csrf }) =>
        agent.post('/account/devices/remove').type('form').send({ _csrf, device: handle }).redirects(1),
      ),
    );
    const said = answers.map((answer) => /That browser (?:is|was) no longer remembered\./.exec(answer.text)?.[0]);
    expect(said.sort()).toEqual([
      'That browser is no longer remembered.',
      'That browser was no longer remembered.',
      'That browser was no longer remembered.',
      'That browser was no longer remembered.',
    ]);
  });

  it('a browser logging back in while it is forgotten stays forgotten', async () => {
    for (let round = 0; round < 5; round += 1) {
      const email = uniqueEmail('forgotten-while-restoring');
      const user = await createUser(email);
      const phone = await rememberedLogIn(email, SAFARI);
      const laptop = await rememberedLogIn(email, FIREFOX);
      const page = (await laptop.get('/account')).text;
      const phoneItem = page
        .split('data-testid="remembered-browser"')
        .slice(1)
        .find((item) => item.includes('Safari'))!;
      const _csrf = csrfFrom(page);
      // The phone's session ends; its next request logs back in (rotating the token) while the
      // laptop forgets it.
      await testApp().store.destroySessionsOfUser(user._id.toString(), { except: laptopSid(laptop) });
      await Promise.all([
        phone.get('/account'),
        laptop
          .post('/account/devices/remove')
          .type('form')
          .send({ _csrf, device: handlesOn(phoneItem)[0] }),
      ]);
      await testApp().store.destroySessionsOfUser(user._id.toString(), { except: laptopSid(laptop) });
      const last = await phone.get('/account');
      expect(last.headers.location).toBe('/login');
      expect(await RememberToken.countDocuments({ userId: user._id, userAgent: SAFARI })).toBe(0);
    }
  });
});

function laptopSid(agent: Agent): string {
  const cookie = agent.jar.getCookie('shop.sid', { domain: '127.0.0.1', path: '/', secure: false, script: false });
  const value = decodeURIComponent(cookie!.value);
  return value.slice(2, value.lastIndexOf('.'));
}

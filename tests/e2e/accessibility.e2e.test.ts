import fs from 'node:fs';
import type { AxeResults, Result } from 'axe-core';
import type { Page, Response } from 'playwright-core';
import {
  PASSWORD,
  emailField,
  isFocused,
  navEmail,
  passwordField,
  pathOf,
  signUpAndLogIn,
  submitSignup,
  tab,
  toNextPage,
  uniqueEmail,
} from './support/pages';
import { useShop } from './support/shop';

const { browserTest } = useShop();
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BLOCKING_IMPACTS = ['serious', 'critical'];

/** Runs axe-core on the page as it is now and returns its violations. */
async function axeViolations(page: Page): Promise<Result[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const results = await page.evaluate<AxeResults>("axe.run(document, { resultTypes: ['violations'] })");
  return results.violations;
}

/** One readable line per violation and element, for the failure message. */
function describeViolation(violation: Result): string {
  const elements = violation.nodes.map((node) => `\n    ${node.target.join(' ')}: ${node.failureSummary ?? ''}`);
  return `${violation.impact} ${violation.id}: ${violation.help} (${violation.helpUrl})${elements.join('')}`;
}

interface AuditedPage {
  name: string;
  status: number;
  heading?: string;
  open(page: Page): Promise<Response | null>;
}

const AUDITED_PAGES: AuditedPage[] = [
  { name: 'home', status: 200, open: (page) => page.goto('/') },
  { name: 'login', status: 200, heading: 'Log in', open: (page) => page.goto('/login') },
  { name: 'signup', status: 200, heading: 'Create an account', open: (page) => page.goto('/signup') },
  {
    name: 'signup with errors',
    status: 422,
    heading: 'Create an account',
    open: async (page) => {
      const refused = page.waitForResponse((response) => response.request().method() === 'POST');
      await submitSignup(page, 'not-an-email', 'short', 'shorter');
      return refused;
    },
  },
  {
    name: 'account',
    status: 200,
    heading: 'Your account',
    open: async (page) => {
      await signUpAndLogIn(page);
      return page.goto('/account');
    },
  },
  { name: 'not found', status: 404, heading: 'Page not found', open: (page) => page.goto('/no-such-page') },
];

describe('axe-core finds no serious or critical violations', () => {
  for (const audited of AUDITED_PAGES) {
    browserTest(
      `on the ${audited.name} page`,
      async ({ page }) => {
        const response = await audited.open(page);
        expect(response?.status()).toBe(audited.status);
        if (audited.heading) {
          expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(audited.heading);
        }

        const violations = await axeViolations(page);
        const blocking = violations.filter((violation) => BLOCKING_IMPACTS.includes(violation.impact ?? ''));
        expect(blocking.map(describeViolation)).toEqual([]);
      },
      // axe is injected as an inline script, which the app's Content-Security-Policy rightly refuses.
      { bypassCSP: true },
    );
  }
});

describe('keyboard use', () => {
  browserTest(
    'Tab goes to "Skip to content", then through the navigation; Enter on Log in opens it',
    async ({ page }) => {
      await page.goto('/');
      const navigation = page.getByRole('navigation', { name: 'Main' });
      const navTexts = (await navigation.getByRole('link').allInnerTexts()).map((text) => text.trim());
      const expected = navTexts.slice(0, navTexts.indexOf('Log in') + 1);
      expect(expected).toContain('Log in');

      expect(await tab(page)).toBe('Skip to content');
      // The skip link is hidden off-screen until it has focus; then it must be where one can see it.
      expect((await page.getByRole('link', { name: 'Skip to content' }).boundingBox())?.x).toBeGreaterThanOrEqual(0);
      const reached: string[] = [];
      for (const _ of expected) reached.push(await tab(page));
      expect(reached).toEqual(expected);
      expect(await isFocused(navigation.getByRole('link', { name: 'Log in' }))).toBe(true);

      await toNextPage(page, () => page.keyboard.press('Enter'));
      expect(pathOf(page)).toBe('/login');
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Log in');
    },
  );

  browserTest('"Skip to content" moves the keyboard past the navigation', async ({ page }) => {
    await page.goto('/login');
    expect(await tab(page)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(new URL(page.url()).hash).toBe('#main');

    await page.keyboard.press('Tab');
    expect(await isFocused(emailField(page))).toBe(true);
  });

  browserTest('the login form can be filled in and submitted with the keyboard alone', async ({ page }) => {
    const email = uniqueEmail('keyboard');
    await submitSignup(page, email, PASSWORD);
    expect(pathOf(page)).toBe('/login');

    for (let presses = 0; presses < 15 && !(await isFocused(emailField(page))); presses += 1) {
      await page.keyboard.press('Tab');
    }
    expect(await isFocused(emailField(page))).toBe(true);
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    expect(await isFocused(passwordField(page))).toBe(true);
    await page.keyboard.type(PASSWORD);
    await toNextPage(page, () => page.keyboard.press('Enter'));

    expect(pathOf(page)).toBe('/');
    expect(await navEmail(page).innerText()).toBe(email);
  });
});

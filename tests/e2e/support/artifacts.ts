import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';

export const ARTIFACTS_DIR = path.resolve(__dirname, '..', '..', '..', 'test-results', 'e2e');

function folderName(testName: string): string {
  return (
    testName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 120) || 'unnamed-test'
  );
}

/**
 * Keeps what a failing test left in the browser: a screenshot and the HTML of every open page, and
 * the server's output. Returns the folder.
 */
export async function saveFailureArtifacts(testName: string, pages: Page[], serverLog: string): Promise<string> {
  const dir = path.join(ARTIFACTS_DIR, folderName(testName));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const urls: string[] = [];
  for (const [index, page] of pages.entries()) {
    const name = `page-${index + 1}`;
    urls.push(`${name}: ${page.url()}`);
    await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true }).catch(() => {});
    const html = await page.content().catch((err: Error) => `<!-- could not read the page: ${err.message} -->`);
    fs.writeFileSync(path.join(dir, `${name}.html`), html);
  }
  fs.writeFileSync(path.join(dir, 'pages.txt'), `${testName}\n\n${urls.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'server.log'), serverLog);
  return dir;
}

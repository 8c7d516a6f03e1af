/**
 * What the dashboard's browser tests share: Debian's chromium (installed by scripts/setup.sh; CHROMIUM_PATH points
 * elsewhere) launched headless through playwright-core and closed with the test, and pages that collect the script
 * errors they raise.
 */
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Teardown } from '@peak/service-kit/testing';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();

export async function launchChromium(t: Teardown): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => browser.close());
  return browser;
}

export type OpenOptions = {
  width?: number;
  /** Also collect console errors, except those matching this (e.g. the browser's own line for an expected 404). */
  consoleErrorsBut?: RegExp;
};

/** A new page (downloads allowed) at `url`, with the page errors it raises collected in `errors`. */
export async function openPage(browser: Browser, url: string, { width = 1280, consoleErrorsBut }: OpenOptions = {}): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 }, acceptDownloads: true });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  if (consoleErrorsBut) {
    page.on('console', (m) => {
      if (m.type() === 'error' && !consoleErrorsBut.test(m.text())) errors.push(m.text());
    });
  }
  await page.goto(url);
  return { page, errors };
}

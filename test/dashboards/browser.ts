/**
 * Debian's Chromium through playwright-core for the web app's tests: one browser per file, pages
 * that fail the test on any script error, and screenshots under `test-artifacts/` (gitignored)
 * to look at after a run.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/chromium.ts';

export { launchChromium };

export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

export interface WatchedPage {
  page: Page;
  /** Script errors and console errors seen so far. */
  errors: string[];
}

export async function openPage(
  browser: Browser,
  url: string,
  viewport = { width: 1280, height: 800 },
): Promise<WatchedPage> {
  // A context per page: axe-core's playwright runner needs one, and pages share no storage.
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.once('close', () => void context.close().catch(() => undefined));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // A refused sign-in (401) and history without a store (503) are answers the page shows;
    // the browser also logs them as failed loads.
    if (m.type() === 'error' && !/status of (401|403|503)/.test(m.text())) errors.push(m.text());
  });
  await page.goto(url);
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Sign in through the form and wait for the route screen to be live. */
export async function signInAs(page: Page, username: string, password: string): Promise<void> {
  await page.fill('#sign-in input[name=username]', username);
  await page.fill('#sign-in input[name=password]', password);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('.conn[data-state=live]');
}

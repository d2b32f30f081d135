/**
 * Debian's Chromium through playwright-core, headless, with the flags that keep it quiet on a
 * machine without a GPU or a network (docs: /work/shared/design.md). Used by the web app's
 * browser tests, its benchmark and the README screenshot.
 */
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../shared/chromium.ts';

export { CHROMIUM_ARGS, CHROMIUM_PATH };

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
}

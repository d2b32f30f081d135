/**
 * Debian's Chromium, headless, with the flags that keep it quiet on a machine without a GPU or
 * a network (see the team's design notes). One list for the browser tests, the benchmark, the
 * README screenshot and the gateway's PDF reports.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

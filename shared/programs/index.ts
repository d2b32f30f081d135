/** Night programs as a controller runs them, on the astronomical clock; pure, browser-safe. */
export * from './astro.ts';
export * from './programs.ts';

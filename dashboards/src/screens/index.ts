/**
 * Every screen of the app, in nav order. A screen is one file in this folder exporting a default
 * `ScreenFactory`; add it here with its route pattern, nav label and the permission it needs.
 */
import type { ScreenDef } from '../app/screen.ts';

export const SCREENS: readonly ScreenDef[] = [
  { pattern: '', nav: 'Route', load: () => import('./overview.ts') },
  { pattern: 'lamp/:id', load: () => import('./lampDetail.ts') },
  {
    pattern: 'commands',
    nav: 'Commands',
    permission: 'commands.send',
    load: () => import('./commands.ts'),
  },
  { pattern: 'programs', nav: 'Programs', permission: 'read', load: () => import('./programs.ts') },
  { pattern: 'replay', nav: 'Replay', permission: 'read', load: () => import('./replay.ts') },
  { pattern: 'compare', nav: 'Compare', permission: 'read', load: () => import('./compare.ts') },
  {
    pattern: 'vendor',
    nav: 'Vendor report',
    permission: 'read',
    load: () => import('./vendor.ts'),
  },
  { pattern: 'admin', nav: 'Admin', permission: 'audit.read', load: () => import('./admin.ts') },
  { pattern: 'sign-in', public: true, load: () => import('./signIn.ts') },
  { pattern: 'first-run', public: true, load: () => import('./firstRun.ts') },
];

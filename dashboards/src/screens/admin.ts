/**
 * Admin (`#/admin`): users and API tokens, the inventory import (checked first with dryRun, every
 * problem shown by line and field), and the audit log with filters. Operators, who may read the
 * audit log but not manage users, get their own tokens and the audit log here.
 */

import type { z } from 'zod';
import type { AuditAction } from '../../../services/gateway/audit/AuditLog.ts';
import type { Role } from '../../../services/gateway/auth/roles.ts';
import type {
  AuditResponse,
  PublicToken,
  PublicUser,
  TokenCreatedResponse,
  TokensResponse,
  UsersResponse,
} from '../../../services/gateway/responses.ts';
import { ApiError } from '../app/api.ts';
import { el, field, fmt, setText } from '../app/dom.ts';
import type { ScreenFactory } from '../app/screen.ts';
import { dataTable } from '../ui/dataTable.ts';
import { errorText, fill } from '../ui/load.ts';
import { permissionsKnown } from '../ui/permissions.ts';
import { dateTime } from '../ui/time.ts';

/** Every audit action, labelled: a Record so the compiler insists on each one the gateway has. */
const ACTION_LABEL: Record<AuditAction, string> = {
  'command.issued': 'Command issued',
  'command.completed': 'Command completed',
  'program.created': 'Program created',
  'program.updated': 'Program updated',
  'program.deleted': 'Program deleted',
  'program.assigned': 'Program assigned',
  'alarm.acknowledged': 'Alarm acknowledged',
  'user.created': 'User created',
  'user.deleted': 'User deleted',
  'token.created': 'Token created',
  'token.revoked': 'Token revoked',
  'auth.bootstrap': 'First admin created',
  'registry.imported': 'Inventory imported',
};
const ROLE_NAMES: Record<Role, string> = {
  viewer: 'Viewer (lab engineer)',
  vendor: 'Vendor (own lamps only)',
  operator: 'Operator (commands, programs)',
  admin: 'Admin',
};
const DAY = 24 * 3_600_000;
// the gateway's envelopes that have no exported output type
type Users = z.output<typeof UsersResponse>;
type Tokens = z.output<typeof TokensResponse>;
type TokenCreated = z.output<typeof TokenCreatedResponse>;

const section = (id: string, title: string, ...body: Node[]) =>
  el(
    'section',
    { class: 'card', 'aria-labelledby': `${id}-title` },
    el('h2', { id: `${id}-title` }, title),
    ...body,
  );

const screen: ScreenFactory = async ({ app, signal }) => {
  await permissionsKnown(app, signal);
  const me = app.session.value?.username ?? '';

  // ---- users ----
  const usersBox = el('div', { id: 'users' });
  const loadUsers = () =>
    fill(
      usersBox,
      async () => {
        const r = await app.api.get<Users>('/api/users', signal);
        return dataTable<PublicUser>(
          'Users',
          [
            { header: 'Name', cell: (u) => u.username },
            { header: 'Role', cell: (u) => u.role },
            { header: 'Vendor', cell: (u) => u.vendorId ?? '' },
            { header: 'Created', cell: (u) => dateTime(u.createdAt) },
            {
              header: '',
              cell: (u) => {
                if (u.username === me) return 'you';
                const b = el('button', { type: 'button', class: 'small' }, 'Delete');
                b.setAttribute('aria-label', `Delete ${u.username}`);
                b.addEventListener('click', () => {
                  if (!confirm(`Delete ${u.username} and revoke their tokens?`)) return;
                  app.api
                    .del(`/api/users/${encodeURIComponent(u.username)}`, signal)
                    .then(() => {
                      app.announce(`${u.username} deleted`);
                      void loadUsers();
                      void loadTokens();
                    })
                    .catch((err: unknown) => app.announce(errorText(err)));
                });
                return b;
              },
            },
          ],
          r.users,
          { rowAttrs: (u) => ({ 'data-user': u.username }) },
        );
      },
      signal,
    );
  const newName = el('input', {
    name: 'username',
    required: true,
    autocomplete: 'off',
    pattern: '[a-z0-9][a-z0-9._\\-]{1,31}',
  });
  const newPassword = el('input', {
    name: 'password',
    type: 'password',
    required: true,
    minlength: 12,
    autocomplete: 'new-password',
  });
  const newRole = el(
    'select',
    { name: 'role' },
    ...(Object.keys(ROLE_NAMES) as Role[]).map((r) => el('option', { value: r }, ROLE_NAMES[r])),
  );
  const newVendor = el('select', { name: 'vendorId' });
  const vendorField = field('Vendor', newVendor);
  const userError = el('p', { class: 'error', role: 'alert', id: 'user-error' });
  const userForm = el(
    'form',
    { id: 'user-form' },
    el('h3', {}, 'Add a user'),
    el(
      'div',
      { class: 'row' },
      field('Name', newName, '2 to 32 of a-z, 0-9, . _ -'),
      field('Password', newPassword, 'At least 12 characters'),
      field('Role', newRole),
      vendorField,
    ),
    userError,
    el('button', { type: 'submit', class: 'primary' }, 'Add user'),
  );
  const showVendor = () => {
    vendorField.hidden = newRole.value !== 'vendor';
    if (newVendor.options.length === 0)
      newVendor.replaceChildren(
        ...app.live.table.vendors.map((v) => el('option', { value: v }, v)),
      );
  };
  newRole.addEventListener('change', showVendor, { signal });
  showVendor();
  userForm.addEventListener(
    'submit',
    (e) => {
      e.preventDefault();
      setText(userError, '');
      const body = {
        username: newName.value.trim(),
        password: newPassword.value,
        role: newRole.value,
        ...(newRole.value === 'vendor' ? { vendorId: newVendor.value } : {}),
      };
      app.api
        .post('/api/users', body, signal)
        .then(() => {
          app.announce(`${body.username} added`);
          newName.value = '';
          newPassword.value = '';
          void loadUsers();
        })
        .catch((err: unknown) => setText(userError, errorText(err)));
    },
    { signal },
  );

  // ---- tokens ----
  const tokensBox = el('div', { id: 'tokens' });
  const loadTokens = () =>
    fill(
      tokensBox,
      async () => {
        const r = await app.api.get<Tokens>('/api/tokens', signal);
        return dataTable<PublicToken>(
          'API tokens and sessions',
          [
            { header: 'Name', cell: (t) => t.name ?? '' },
            { header: 'User', cell: (t) => t.username },
            { header: 'Kind', cell: (t) => t.kind },
            { header: 'Created', cell: (t) => dateTime(t.createdAt) },
            { header: 'Expires', cell: (t) => (t.expiresAt ? dateTime(t.expiresAt) : 'never') },
            {
              header: 'State',
              cell: (t) => {
                if (t.revokedAt !== undefined) return `revoked ${dateTime(t.revokedAt)}`;
                if (t.kind !== 'api') return 'active';
                const b = el('button', { type: 'button', class: 'small' }, 'Revoke');
                b.setAttribute('aria-label', `Revoke ${t.name ?? t.id}`);
                b.addEventListener('click', () => {
                  app.api
                    .del(`/api/tokens/${encodeURIComponent(t.id)}`, signal)
                    .then(() => {
                      app.announce('Token revoked');
                      void loadTokens();
                    })
                    .catch((err: unknown) => app.announce(errorText(err)));
                });
                return b;
              },
            },
          ],
          r.tokens,
        );
      },
      signal,
    );
  const tokenName = el('input', {
    name: 'token-name',
    required: true,
    maxlength: 256,
    placeholder: 'city data platform',
  });
  const tokenUser = el('input', { name: 'token-user', autocomplete: 'off', placeholder: me });
  const tokenDays = el('input', {
    name: 'token-days',
    type: 'number',
    min: 0,
    max: 3650,
    value: 90,
  });
  const tokenOut = el('output', { id: 'token-secret', class: 'secret' });
  const tokenError = el('p', { class: 'error', role: 'alert' });
  const tokenForm = el(
    'form',
    { id: 'token-form' },
    el('h3', {}, 'Issue an API token'),
    el(
      'div',
      { class: 'row' },
      field('Name', tokenName),
      field('For user', tokenUser, 'Empty: yourself'),
      field('Valid for, days', tokenDays, '0: no expiry'),
    ),
    tokenError,
    el('button', { type: 'submit', class: 'primary' }, 'Issue token'),
    tokenOut,
  );
  tokenForm.addEventListener(
    'submit',
    (e) => {
      e.preventDefault();
      setText(tokenError, '');
      const days = Number(tokenDays.value || 0);
      const body = {
        name: tokenName.value.trim(),
        ...(tokenUser.value.trim() ? { username: tokenUser.value.trim() } : {}),
        ...(days > 0 ? { expiresAt: Date.now() + days * DAY } : {}),
      };
      app.api
        .post<TokenCreated>('/api/tokens', body, signal)
        .then((r) => {
          tokenOut.replaceChildren(
            el('strong', {}, 'Shown once, copy it now: '),
            el('code', {}, r.token),
          );
          void loadTokens();
        })
        .catch((err: unknown) => setText(tokenError, errorText(err)));
    },
    { signal },
  );

  // ---- inventory import ----
  const file = el('input', {
    type: 'file',
    name: 'inventory',
    accept: '.csv,.geojson,.json,text/csv,application/geo+json',
  });
  const format = el(
    'select',
    { name: 'format' },
    el('option', { value: 'csv' }, 'CSV'),
    el('option', { value: 'geojson' }, 'GeoJSON'),
  );
  const check = el('button', { type: 'button', id: 'inventory-check' }, 'Check');
  const save = el(
    'button',
    { type: 'button', class: 'primary', id: 'inventory-save', disabled: true },
    'Import',
  );
  const importResult = el('div', { id: 'inventory-result', 'aria-live': 'polite' });
  let content = '';
  file.addEventListener(
    'change',
    () => {
      const f = file.files?.[0];
      save.disabled = true;
      importResult.replaceChildren();
      if (!f) return;
      if (/\.(geo)?json$/i.test(f.name)) format.value = 'geojson';
      else if (/\.csv$/i.test(f.name)) format.value = 'csv';
      void f.text().then((t) => {
        content = t;
        setText(check, `Check ${f.name}`);
      });
    },
    { signal },
  );
  format.addEventListener('change', () => {
    save.disabled = true;
  });
  function send(dryRun: boolean): void {
    if (!content) {
      importResult.replaceChildren(el('p', { class: 'error' }, 'Choose a file first.'));
      return;
    }
    check.disabled = true;
    save.disabled = true;
    importResult.replaceChildren(el('p', { class: 'hint' }, dryRun ? 'Checking…' : 'Importing…'));
    app.api
      .post<{ lamps: number; segments: number; saved?: string }>(
        '/api/registry/inventory',
        { format: format.value, content, dryRun },
        signal,
      )
      .then((r) => {
        importResult.replaceChildren(
          el(
            'p',
            { class: 'ok-text', 'data-outcome': dryRun ? 'checked' : 'saved' },
            dryRun
              ? `No problems: ${fmt(r.lamps)} lamps in ${fmt(r.segments)} segments. Import it to use it from the next start.`
              : `Saved as ${r.saved ?? ''}: ${fmt(r.lamps)} lamps in ${fmt(r.segments)} segments, used from the next start of the services.`,
          ),
        );
        save.disabled = !dryRun;
      })
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.issues.length > 0) {
          importResult.replaceChildren(
            el('p', { class: 'error', 'data-outcome': 'problems' }, err.message),
            dataTable(
              `Every problem, by line and field (${err.issues.length}${err.issues.length >= 100 ? ' shown' : ''})`,
              [
                { header: 'Where', cell: (i) => i.path },
                { header: 'Problem', cell: (i) => i.message },
              ],
              err.issues,
              { rowAttrs: (i) => ({ 'data-where': i.path }) },
            ),
          );
        } else importResult.replaceChildren(el('p', { class: 'error' }, errorText(err)));
      })
      .finally(() => {
        check.disabled = false;
      });
  }
  check.addEventListener('click', () => send(true), { signal });
  save.addEventListener('click', () => send(false), { signal });

  // ---- audit log ----
  const actor = el('input', { name: 'actor', autocomplete: 'off', maxlength: 64 });
  const action = el(
    'select',
    { name: 'action' },
    el('option', { value: '' }, 'Any'),
    ...(Object.keys(ACTION_LABEL) as AuditAction[]).map((a) =>
      el('option', { value: a }, ACTION_LABEL[a]),
    ),
  );
  const from = el('input', { name: 'from', type: 'date' });
  const to = el('input', { name: 'to', type: 'date' });
  const auditBox = el('div', { id: 'audit' });
  const auditForm = el(
    'form',
    { class: 'row', id: 'audit-filters' },
    field('Who', actor),
    field('Action', action),
    field('From', from),
    field('To (inclusive)', to),
    el('button', { type: 'submit' }, 'Filter'),
  );
  const loadAudit = () => {
    const q = new URLSearchParams({ limit: '200' });
    if (actor.value.trim()) q.set('actor', actor.value.trim());
    if (action.value) q.set('action', action.value);
    if (from.value) q.set('from', String(Date.parse(`${from.value}T00:00:00`)));
    if (to.value) q.set('to', String(Date.parse(`${to.value}T00:00:00`) + DAY));
    return fill(
      auditBox,
      async () => {
        const r = await app.api.get<AuditResponse>(`/api/audit?${q}`, signal);
        return dataTable(
          `Audit log (${r.count} entries, newest first)`,
          [
            { header: 'Time', cell: (e) => dateTime(e.ts) },
            { header: 'Who', cell: (e) => e.actor },
            { header: 'Action', cell: (e) => ACTION_LABEL[e.action] ?? e.action },
            { header: 'Subject', cell: (e) => e.subject },
            { header: 'Lamps', cell: (e) => fmt(e.lampCount), numeric: true },
            { header: 'Outcome', cell: (e) => e.outcome },
          ],
          [...r.entries].sort((a, b) => b.ts - a.ts),
          { empty: 'No entries match', rowAttrs: (e) => ({ 'data-action': e.action }) },
        );
      },
      signal,
    );
  };
  auditForm.addEventListener(
    'submit',
    (e) => {
      e.preventDefault();
      void loadAudit();
    },
    { signal },
  );

  // Operators read the audit log and manage their own tokens; users and the inventory are admins'.
  const users = app.can('users.manage');
  const inventory = app.can('registry.manage');
  if (users) void loadUsers();
  void loadTokens();
  void loadAudit();

  const element = el(
    'div',
    { class: 'screen admin' },
    el('h1', {}, users ? 'Administration' : 'Tokens and audit log'),
    el(
      'div',
      { class: 'grid-2' },
      users ? section('users', 'Users', usersBox, userForm) : null,
      section('tokens', 'API tokens', tokensBox, tokenForm),
    ),
    inventory
      ? section(
          'inventory',
          'Lamp inventory',
          el(
            'p',
            { class: 'lede' },
            'Replace the approximate route with the surveyed inventory (CSV or GeoJSON). It is checked against the luminaire catalog first; every problem is listed by line and field.',
          ),
          el('div', { class: 'row' }, field('File', file), field('Format', format), check, save),
          importResult,
        )
      : null,
    section('audit', 'Audit log', auditForm, auditBox),
  );
  return { element, title: users ? 'Admin' : 'Audit' };
};
export default screen;

/**
 * First run without a terminal: the gateway's start banner prints
 * `/dashboard/#/first-run?secret=...`. The secret is taken out of the address at once (kept in
 * this tab's sessionStorage until used, so a reload still works), the page asks for the admin's
 * name and password, creates the admin with `/api/auth/bootstrap` and signs in.
 */
import { ApiError } from '../app/api.ts';
import { el, field, setText } from '../app/dom.ts';
import type { ScreenFactory } from '../app/screen.ts';
import { signIn } from '../app/session.ts';

const SECRET_KEY = 'gadelys.bootstrap';

const screen: ScreenFactory = ({ app, route }) => {
  const fromUrl = route.query.get('secret');
  if (fromUrl) {
    sessionStorage.setItem(SECRET_KEY, fromUrl);
    history.replaceState(null, '', `${location.pathname}${location.search}#/first-run`);
  }
  const secret = sessionStorage.getItem(SECRET_KEY) ?? '';
  const username = el('input', {
    name: 'username',
    autocomplete: 'username',
    required: true,
    value: 'admin',
    pattern: '[a-z0-9][a-z0-9._\\-]{1,31}',
  });
  const password = el('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    minlength: 12,
  });
  const repeat = el('input', {
    name: 'repeat',
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    minlength: 12,
  });
  const error = el('p', { class: 'error', role: 'alert', id: 'first-run-error' });
  const submit = el('button', { type: 'submit', class: 'primary' }, 'Create admin and sign in');
  const form = el(
    'form',
    { class: 'card narrow', id: 'first-run', 'aria-labelledby': 'first-run-title' },
    el('h1', { id: 'first-run-title' }, 'Welcome to gadelys'),
    el(
      'p',
      { class: 'lede' },
      'No admin account exists yet. Choose the first admin’s name and password; more users can be added later.',
    ),
    field('Admin user name', username, '2 to 32 of a-z, 0-9, dot, dash, underscore'),
    field('Password', password, 'At least 12 characters'),
    field('Repeat password', repeat),
    error,
    submit,
  );
  if (!secret) {
    setText(
      error,
      'This page needs the one-time link the gateway prints when it starts without an admin.',
    );
    submit.disabled = true;
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setText(error, '');
    if (password.value !== repeat.value) {
      setText(error, 'The passwords differ.');
      repeat.focus();
      return;
    }
    submit.disabled = true;
    const name = username.value.trim();
    app.api
      .post('/api/auth/bootstrap', { secret, username: name, password: password.value })
      .then(() => {
        sessionStorage.removeItem(SECRET_KEY);
        return signIn(app.api, name, password.value);
      })
      .then((token) => app.startSession(token))
      .then(() => app.navigate('#/', { replace: true }))
      .catch((err: unknown) => {
        setText(error, err instanceof ApiError ? err.describe() : String(err));
        submit.disabled = false;
      });
  });
  queueMicrotask(() => password.focus());
  return { element: el('div', { class: 'center' }, form), title: 'First run' };
};
export default screen;

/** Sign in with a name and password; back to the screen that asked for it (`?back=#/lamp/...`). */
import { ApiError } from '../app/api.ts';
import { el, field, setText } from '../app/dom.ts';
import type { ScreenFactory } from '../app/screen.ts';
import { signIn } from '../app/session.ts';

const screen: ScreenFactory = ({ app, route }) => {
  const username = el('input', { name: 'username', autocomplete: 'username', required: true });
  const password = el('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const error = el('p', { class: 'error', role: 'alert', id: 'sign-in-error' });
  const submit = el('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = el(
    'form',
    { class: 'card narrow', id: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    el('h1', { id: 'sign-in-title' }, 'Sign in'),
    el('p', { class: 'lede' }, 'The DOLL Living Lab route: live lamps, history, commands.'),
    field('User name', username),
    field('Password', password),
    error,
    submit,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit.disabled = true;
    setText(error, '');
    signIn(app.api, username.value.trim(), password.value)
      .then((token) => app.startSession(token))
      .then(() => {
        const back = route.query.get('back');
        app.navigate(back?.startsWith('#/') ? back : '#/', { replace: true });
      })
      .catch((err: unknown) => {
        setText(error, err instanceof ApiError ? err.describe() : String(err));
        password.select();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  queueMicrotask(() => username.focus());
  return { element: el('div', { class: 'center' }, form), title: 'Sign in' };
};
export default screen;

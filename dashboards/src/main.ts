/** The web app's entry: styles, the shell, the registered screens, and the test hook. */
import './style.css';
import { startShell } from './app/shell.ts';
import { SCREENS } from './screens/index.ts';
import { installTestHook } from './testHook.ts';

const root = document.getElementById('app');
if (root) {
  const shell = startShell(root, SCREENS);
  installTestHook(shell.app);
}

/** The web app's entry: styles, the shell, the registered screens, and the test hook. */
import 'uplot/dist/uPlot.min.css';
import './style.css';
// the other screens' styles (charts, tables, consoles): one stylesheet with the shell's
import './ui/screens.css';
import { startShell } from './app/shell.ts';
import { SCREENS } from './screens/index.ts';
import { installTestHook } from './testHook.ts';

const root = document.getElementById('app');
if (root) {
  const shell = startShell(root, SCREENS);
  installTestHook(shell.app);
}

/** Expose a screen's map to browser tests and the benchmark (`window.__gadelys.map`) while it is shown. */
import type { LiveTable } from '../live/LiveTable.ts';
import { registerMapHook } from '../testHook.ts';
import type { MapView } from './MapView.ts';

export function exposeMap(map: MapView, table: LiveTable, signal: AbortSignal): void {
  registerMapHook({
    count: () => map.drawnCount,
    frames: () => map.frameCount,
    pointOf: (id) => {
      const i = table.indexOf.get(id);
      return i === undefined ? undefined : map.pointOf(i);
    },
  });
  signal.addEventListener('abort', () => registerMapHook(undefined), { once: true });
}

/**
 * Tonight's profile of a night program, computed in the browser with the controller's own
 * evaluator (shared/programs: the astronomical clock and the switch rules), drawn as steps
 * against sunset and sunrise, with the switch points as a list for screen readers.
 */
import type { NightProgram } from '../../../shared/contract/index.ts';
import {
  ALBERTSLUND,
  addDays,
  localParts,
  nightOf,
  nightSchedule,
  programLevel,
  sunEvent,
} from '../../../shared/programs/index.ts';
import { el, setText } from '../app/dom.ts';
import { TimeChart } from './timeChart.ts';

const STEP_MS = 60_000;

const clock = (ms: number) => {
  const p = localParts(ms);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
};

export class ProgramPreview {
  readonly element: HTMLElement;
  private readonly chart: TimeChart;
  private readonly list: HTMLOListElement;
  private readonly note: HTMLParagraphElement;
  private sun: { sunset: number | null; sunrise: number | null } = { sunset: null, sunrise: null };

  constructor(title = 'Tonight’s profile') {
    this.chart = new TimeChart({
      title,
      series: [{ label: 'Level', unit: '%', colour: '#c07a00', digits: 0, width: 2 }],
      ranges: { '%': [0, 100] },
      height: 200,
      timeZone: ALBERTSLUND.timeZone,
      markers: () => [
        ...(this.sun.sunset !== null
          ? [{ x: this.sun.sunset, label: 'sunset', colour: '#b3261e' }]
          : []),
        ...(this.sun.sunrise !== null
          ? [{ x: this.sun.sunrise, label: 'sunrise', colour: '#0b63c5' }]
          : []),
      ],
    });
    this.chart.element.id = 'program-preview';
    this.list = el('ol', {
      class: 'steps',
      id: 'program-switches',
      'aria-label': 'Switch points tonight',
    });
    this.note = el('p', { class: 'hint' });
    this.element = el(
      'div',
      { class: 'program-preview' },
      this.chart.element,
      this.note,
      this.list,
    );
  }

  /** Draw `program` for the night that holds `now` (local noon to the next local noon). */
  show(program: NightProgram, now = Date.now()): void {
    const night = nightOf(now);
    const next = addDays(night, 1);
    this.sun = { sunset: sunEvent('sunset', night), sunrise: sunEvent('sunrise', next) };
    const from = (this.sun.sunset ?? now) - 2 * 3_600_000;
    const to = (this.sun.sunrise ?? now + 12 * 3_600_000) + 2 * 3_600_000;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let t = from; t <= to; t += STEP_MS) {
      xs.push(t);
      ys.push(programLevel(program, t));
    }
    this.chart.setData([xs, ys], [from, to]);
    const switches = nightSchedule(program, night);
    this.list.replaceChildren(...switches.map((s) => el('li', {}, `${clock(s.at)}: ${s.level} %`)));
    const date = `${night.year}-${String(night.month).padStart(2, '0')}-${String(night.day).padStart(2, '0')}`;
    setText(
      this.note,
      `Night of ${date} in Albertslund: sunset ${this.sun.sunset === null ? '–' : clock(this.sun.sunset)}, sunrise ${this.sun.sunrise === null ? '–' : clock(this.sun.sunrise)}` +
        (program.presence
          ? `; raised to ${program.presence.level} % for ${program.presence.holdS} s around road users (${program.presence.lookAhead} posts ahead)`
          : ''),
    );
  }

  destroy(): void {
    this.chart.destroy();
  }
}

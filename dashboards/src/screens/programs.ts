/**
 * Night programs (`#/programs?program=<id>`): the list with how many lamps run each, an editor
 * for fixed times, astronomical offsets and presence-adaptive control, tonight's profile as the
 * controllers will run it, and assignment to lamps or segments.
 */

import type {
  CommandDetailResponse,
  CommandResponse,
  ProgramsResponse,
} from '../../../services/gateway/responses.ts';
import type { NightProgram, ProgramTime } from '../../../shared/contract/index.ts';
import { ApiError } from '../app/api.ts';
import { el, field, fmt, setText } from '../app/dom.ts';
import { type Route, routeHash } from '../app/router.ts';
import type { ScreenFactory } from '../app/screen.ts';
import { ProgramPreview } from '../charts/programPreview.ts';
import { stateChip } from '../ui/chips.ts';
import { dataTable } from '../ui/dataTable.ts';
import { errorText } from '../ui/load.ts';
import { permissionsKnown } from '../ui/permissions.ts';

type ProgramView = ProgramsResponse['programs'][number];
type Step = NightProgram['steps'][number];

const NEW_PROGRAM: NightProgram = {
  id: 'new-program',
  name: 'New program',
  steps: [
    { at: { kind: 'astro', event: 'sunset', offsetMin: 0 }, level: 100 },
    { at: { kind: 'fixed', time: '23:00' }, level: 40 },
    { at: { kind: 'astro', event: 'sunrise', offsetMin: 0 }, level: 0 },
  ],
};

/** One step's editor row; `read()` gives the step or a message naming what is wrong. */
function stepRow(step: Step, n: number, onChange: () => void, onRemove: () => void) {
  const kind = el(
    'select',
    { name: `step-${n}-kind` },
    el('option', { value: 'fixed' }, 'Fixed time'),
    el('option', { value: 'astro' }, 'Sun event'),
  );
  const time = el('input', {
    name: `step-${n}-time`,
    type: 'time',
    value: '22:00',
    required: true,
  });
  const event = el(
    'select',
    { name: `step-${n}-event` },
    ...['sunset', 'dusk', 'dawn', 'sunrise'].map((e) => el('option', { value: e }, e)),
  );
  const offset = el('input', {
    name: `step-${n}-offset`,
    type: 'number',
    min: -240,
    max: 240,
    step: 1,
    value: 0,
  });
  const level = el('input', {
    name: `step-${n}-level`,
    type: 'number',
    min: 0,
    max: 100,
    step: 1,
    value: step.level,
  });
  kind.value = step.at.kind;
  if (step.at.kind === 'fixed') time.value = step.at.time;
  else {
    event.value = step.at.event;
    offset.value = String(step.at.offsetMin);
  }
  const timeField = field('Time', time);
  const eventField = field('Sun event', event);
  const offsetField = field('Offset, min', offset);
  const remove = el(
    'button',
    { type: 'button', class: 'small', 'aria-label': `Remove step ${n}` },
    'Remove',
  );
  remove.addEventListener('click', onRemove);
  const row = el(
    'div',
    { class: 'step-row', role: 'group', 'aria-label': `Step ${n}` },
    field('Kind', kind),
    timeField,
    eventField,
    offsetField,
    field('Level, %', level),
    remove,
  );
  const showKind = () => {
    const fixed = kind.value === 'fixed';
    timeField.hidden = !fixed;
    eventField.hidden = fixed;
    offsetField.hidden = fixed;
  };
  showKind();
  kind.addEventListener('change', () => {
    showKind();
    onChange();
  });
  for (const input of [time, event, offset, level]) input.addEventListener('input', onChange);
  return {
    row,
    read(): Step | string {
      const lv = Number(level.value);
      if (level.value === '' || !(lv >= 0 && lv <= 100))
        return `step ${n}: the level is 0 to 100 %`;
      let at: ProgramTime;
      if (kind.value === 'fixed') {
        if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(time.value)) return `step ${n}: the time is HH:MM`;
        at = { kind: 'fixed', time: time.value };
      } else {
        const off = Number(offset.value || 0);
        if (!Number.isInteger(off) || off < -240 || off > 240)
          return `step ${n}: the offset is -240 to 240 minutes`;
        at = { kind: 'astro', event: event.value as 'sunset', offsetMin: off };
      }
      return { at, level: lv };
    },
  };
}

const screen: ScreenFactory = async ({ app, route, signal }) => {
  await permissionsKnown(app, signal);
  const canWrite = app.can('programs.write');
  let programs: ProgramView[] = [];
  let editing: { program: NightProgram; isNew: boolean } | undefined;

  const listBox = el('div', { id: 'program-list' });
  const preview = new ProgramPreview();
  signal.addEventListener('abort', () => preview.destroy());

  // ---- editor ----
  const idInput = el('input', { name: 'id', required: true, pattern: '[A-Za-z0-9._\\-]{1,64}' });
  const nameInput = el('input', { name: 'name', required: true, maxlength: 256 });
  const stepsBox = el('div', { id: 'program-steps' });
  let rows: ReturnType<typeof stepRow>[] = [];
  const addStep = el('button', { type: 'button', class: 'small' }, 'Add a step');
  const presenceOn = el('input', { type: 'checkbox', name: 'presence', id: 'presence-on' });
  const presenceLevel = el('input', {
    name: 'presence-level',
    type: 'number',
    min: 0,
    max: 100,
    value: 100,
  });
  const presenceHold = el('input', {
    name: 'presence-hold',
    type: 'number',
    min: 1,
    max: 3600,
    value: 60,
  });
  const presenceAhead = el('input', {
    name: 'presence-ahead',
    type: 'number',
    min: 0,
    max: 20,
    value: 3,
  });
  const presenceBox = el(
    'div',
    { class: 'row' },
    field('Level near road users, %', presenceLevel),
    field('Hold after the last detection, s', presenceHold),
    field('Posts raised ahead', presenceAhead),
  );
  const editorError = el('div', { class: 'error', role: 'alert', id: 'program-error' });
  const save = el('button', { type: 'submit', class: 'primary' }, 'Save');
  const remove = el('button', { type: 'button' }, 'Delete');
  const editorTitle = el('h2', { id: 'editor-title' }, 'Program');
  const editor = el(
    'form',
    { class: 'card', id: 'program-editor', 'aria-labelledby': 'editor-title', hidden: true },
    editorTitle,
    el(
      'div',
      { class: 'row' },
      field('Id', idInput, 'Letters, digits, dot, dash'),
      field('Name', nameInput),
    ),
    el('fieldset', {}, el('legend', {}, 'Switch points, in night order'), stepsBox, addStep),
    el(
      'fieldset',
      {},
      el('legend', {}, 'Presence-adaptive'),
      el(
        'div',
        { class: 'check' },
        presenceOn,
        el('label', { for: 'presence-on' }, 'Raise the level when road users pass'),
      ),
      presenceBox,
    ),
    preview.element,
    editorError,
    el('div', { class: 'row' }, save, remove),
  );

  function draft(): NightProgram | string[] {
    const problems: string[] = [];
    const steps: Step[] = [];
    for (const r of rows) {
      const s = r.read();
      if (typeof s === 'string') problems.push(s);
      else steps.push(s);
    }
    if (steps.length === 0 && problems.length === 0)
      problems.push('a program has at least one step');
    if (!nameInput.value.trim()) problems.push('name: required');
    if (problems.length > 0) return problems;
    const p: NightProgram = { id: idInput.value.trim(), name: nameInput.value.trim(), steps };
    if (presenceOn.checked) {
      p.presence = {
        level: Number(presenceLevel.value),
        holdS: Number(presenceHold.value),
        lookAhead: Number(presenceAhead.value),
      };
    }
    return p;
  }

  function refreshPreview(): void {
    presenceBox.hidden = !presenceOn.checked;
    const d = draft();
    if (Array.isArray(d)) {
      showProblems(d);
      return;
    }
    showProblems([]);
    preview.show(d);
  }

  function showProblems(problems: string[]): void {
    editorError.replaceChildren(
      ...(problems.length
        ? [el('ul', { class: 'issues' }, ...problems.map((p) => el('li', {}, p)))]
        : []),
    );
  }

  function renderSteps(steps: readonly Step[]): void {
    rows = steps.map((s, k) =>
      stepRow(s, k + 1, refreshPreview, () => {
        const kept = rows.filter((_, j) => j !== k).map((r) => r.read());
        renderSteps(kept.filter((x): x is Step => typeof x !== 'string'));
        refreshPreview();
      }),
    );
    stepsBox.replaceChildren(...rows.map((r) => r.row));
    for (const input of Array.from(stepsBox.querySelectorAll('input, select'))) {
      (input as HTMLInputElement).disabled = !canWrite;
    }
  }

  addStep.addEventListener('click', () => {
    const current = rows.map((r) => r.read()).filter((x): x is Step => typeof x !== 'string');
    renderSteps([...current, { at: { kind: 'fixed', time: '05:00' }, level: 100 }]);
    refreshPreview();
    stepsBox.querySelector<HTMLElement>('.step-row:last-child select')?.focus();
  });
  presenceOn.addEventListener('change', refreshPreview);
  nameInput.addEventListener('input', () => showProblems([]));

  function edit(program: NightProgram, isNew: boolean): void {
    editing = { program, isNew };
    editor.hidden = false;
    setText(editorTitle, isNew ? 'New program' : `Program ${program.name}`);
    idInput.value = program.id;
    idInput.readOnly = !isNew;
    nameInput.value = program.name;
    presenceOn.checked = program.presence !== undefined;
    presenceLevel.value = String(program.presence?.level ?? 100);
    presenceHold.value = String(program.presence?.holdS ?? 60);
    presenceAhead.value = String(program.presence?.lookAhead ?? 3);
    renderSteps(program.steps);
    const view = programs.find((p) => p.id === program.id);
    remove.hidden = isNew || !canWrite || view?.isDefault === true;
    for (const c of [
      save,
      addStep,
      presenceOn,
      presenceLevel,
      presenceHold,
      presenceAhead,
      nameInput,
    ]) {
      c.disabled = !canWrite;
    }
    save.hidden = !canWrite;
    addStep.hidden = !canWrite;
    assignBox.hidden = isNew || !canWrite;
    refreshPreview();
  }

  editor.addEventListener(
    'submit',
    (e) => {
      e.preventDefault();
      if (!editing) return;
      const d = draft();
      if (Array.isArray(d)) {
        showProblems(d);
        return;
      }
      save.disabled = true;
      const done = editing.isNew
        ? app.api.post('/api/programs', d, signal)
        : app.api.put(`/api/programs/${encodeURIComponent(d.id)}`, d, signal);
      done
        .then(async () => {
          app.announce(`Program ${d.name} saved`);
          await loadList();
          app.navigate(routeHash('programs', { program: d.id }), { replace: true });
          const saved = programs.find((p) => p.id === d.id);
          if (saved) edit(saved, false);
        })
        .catch((err: unknown) => {
          showProblems(
            err instanceof ApiError && err.issues.length
              ? [err.message, ...err.issues.map((i) => `${i.path}: ${i.message}`)]
              : [errorText(err)],
          );
        })
        .finally(() => {
          save.disabled = !canWrite;
        });
    },
    { signal },
  );
  remove.addEventListener('click', () => {
    if (!editing || editing.isNew) return;
    const { id, name } = editing.program;
    if (!confirm(`Delete the program ${name}?`)) return;
    app.api
      .del(`/api/programs/${encodeURIComponent(id)}`, signal)
      .then(async () => {
        app.announce(`Program ${name} deleted`);
        editor.hidden = true;
        editing = undefined;
        await loadList();
        app.navigate('#/programs', { replace: true });
      })
      .catch((err: unknown) => showProblems([errorText(err)]));
  });

  // ---- assignment ----
  const assignLamps = el('input', {
    name: 'assign-lamps',
    placeholder: 'DOLL-0001, DOLL-0002',
    autocomplete: 'off',
  });
  const assignSegments = el('select', { name: 'assign-segments', multiple: true, size: 4 });
  const assignResult = el('p', { id: 'assign-result', 'aria-live': 'polite' });
  const assignButton = el('button', { type: 'button' }, 'Assign');
  const assignBox = el(
    'fieldset',
    { id: 'program-assign', hidden: true },
    el('legend', {}, 'Assign to lamps or segments'),
    el(
      'div',
      { class: 'row' },
      field('Lamps', assignLamps, 'Ids separated by commas'),
      field('Segments', assignSegments, 'Ctrl or Shift to pick several'),
    ),
    assignButton,
    assignResult,
  );
  editor.insertBefore(assignBox, editorError);
  const fillSegments = () => {
    const segs = app.live.table.segments;
    if (assignSegments.options.length === segs.length) return;
    assignSegments.replaceChildren(...segs.map((s) => el('option', { value: s }, s)));
  };
  app.live.changed.subscribe(fillSegments, signal);
  fillSegments();
  assignButton.addEventListener('click', () => {
    if (!editing) return;
    const lampIds = assignLamps.value.split(/[\s,]+/).filter((s) => s !== '');
    const segmentIds = Array.from(assignSegments.selectedOptions).map((o) => o.value);
    const body = {
      ...(lampIds.length ? { lampIds } : {}),
      ...(segmentIds.length ? { segmentIds } : {}),
    };
    assignButton.disabled = true;
    setText(assignResult, 'Sending…');
    const id = editing.program.id;
    app.api
      .post<CommandResponse>(`/api/programs/${encodeURIComponent(id)}/assign`, body, signal)
      .then(async (r) => {
        let c = r.command;
        // follow the delivery until every lamp answered or timed out
        for (let k = 0; k < 60 && c.status === 'pending' && !signal.aborted; k++) {
          await new Promise((res) => setTimeout(res, 500));
          c = (await app.api.get<CommandDetailResponse>(`/api/commands/${c.commandId}`, signal))
            .command;
        }
        assignResult.replaceChildren(
          `Delivered to ${fmt(c.lampCount)} lamps: `,
          stateChip(c.status),
          ` ${c.counts.acked} acked, ${c.counts.pending} waiting, ${c.counts.rejected + c.counts.timedOut} failed`,
        );
        await loadList();
      })
      .catch((err: unknown) => setText(assignResult, errorText(err)))
      .finally(() => {
        assignButton.disabled = false;
      });
  });

  // ---- list ----
  async function loadList(): Promise<void> {
    try {
      programs = (await app.api.get<ProgramsResponse>('/api/programs', signal)).programs;
    } catch (err) {
      listBox.replaceChildren(el('p', { class: 'error' }, errorText(err)));
      return;
    }
    listBox.replaceChildren(
      dataTable(
        'Programs',
        [
          {
            header: 'Name',
            cell: (p) => el('a', { href: routeHash('programs', { program: p.id }) }, p.name),
          },
          { header: 'Id', cell: (p) => p.id },
          { header: 'Steps', cell: (p) => p.steps.length, numeric: true },
          { header: 'Presence', cell: (p) => (p.presence ? `${p.presence.level} %` : 'no') },
          { header: 'Lamps', cell: (p) => fmt(p.lampCount), numeric: true },
          { header: '', cell: (p) => (p.isDefault ? 'default' : '') },
        ],
        programs,
        { rowAttrs: (p) => ({ 'data-program': p.id }) },
      ),
    );
  }

  function open(r: Route): void {
    const id = r.query.get('program');
    if (id === 'new') {
      edit(structuredClone(NEW_PROGRAM), true);
      return;
    }
    const p =
      programs.find((x) => x.id === id) ??
      (id === null ? programs.find((x) => x.isDefault) : undefined);
    if (p) edit(p, false);
  }

  const newButton = el(
    'button',
    { type: 'button', class: 'primary', hidden: !canWrite },
    'New program',
  );
  newButton.addEventListener('click', () =>
    app.navigate(routeHash('programs', { program: 'new' })),
  );

  void loadList().then(() => open(route));

  const element = el(
    'div',
    { class: 'screen programs' },
    el('div', { class: 'screen-head' }, el('h1', {}, 'Night programs'), newButton),
    el(
      'div',
      { class: 'grid-2' },
      el('section', { class: 'card', 'aria-label': 'Programs' }, listBox),
      editor,
    ),
  );
  return { element, title: 'Programs', update: (r) => open(r) };
};
export default screen;

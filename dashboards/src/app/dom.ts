/**
 * The app's whole view layer: elements are made with `el()` and text is only ever set with
 * `textContent` (never HTML), so nothing that arrives from the network can become markup.
 */
type AttrValue = string | number | boolean | undefined | null;
type Handlers = { [K in keyof HTMLElementEventMap]?: (e: HTMLElementEventMap[K]) => void };
type Child = Node | string | number | null | undefined | false;

/** Attributes by name, plus `on`: event handlers by event name (`{ on: { click: fn } }`). */
export type Attrs = { on?: Handlers } & { [name: string]: AttrValue | Handlers };

/**
 * `el('button', { class: 'primary', type: 'submit' }, 'Sign in')`. Attributes set to false,
 * null or undefined are left out; true sets an empty attribute.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'on' || typeof value === 'object') continue;
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  if (attrs.on) {
    for (const [type, handler] of Object.entries(attrs.on)) {
      node.addEventListener(type, handler as EventListener);
    }
  }
  append(node, children);
  return node;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Set text only when it changed (cheap to call on every live update). */
export function setText(node: Node, value: string): void {
  if (node.textContent !== value) node.textContent = value;
}

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** A labelled form field: label, input and a hint or error line tied to it for screen readers. */
export function field(
  label: string,
  input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): HTMLElement {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  const wrap = el('div', { class: 'field' }, el('label', { for: id }, label), input);
  if (hint) {
    const hintEl = el('p', { class: 'hint', id: `${id}-hint` }, hint);
    input.setAttribute('aria-describedby', hintEl.id);
    wrap.append(hintEl);
  }
  return wrap;
}

/** Numbers for people: fixed decimals, a dash for missing values. */
export function fmt(value: number | null | undefined, digits = 0, unit = ''): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  const s = value.toLocaleString('en-GB', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return unit ? `${s} ${unit}` : s;
}

export function timeOf(ts: number | null | undefined): string {
  if (ts === null || ts === undefined || Number.isNaN(ts)) return '–';
  return new Date(ts).toLocaleTimeString('en-GB');
}

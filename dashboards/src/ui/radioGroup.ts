/**
 * A segmented choice: native radio buttons in a fieldset with a legend, so arrow keys move
 * between options and screen readers name the group. `onChange` gets the new value.
 */
import { el } from '../app/dom.ts';

export interface RadioGroup<T extends string> {
  element: HTMLFieldSetElement;
  value(): T;
  set(value: T): void;
}

export function radioGroup<T extends string>(
  name: string,
  legend: string,
  options: readonly (readonly [T, string])[],
  initial: T,
  onChange: (value: T) => void,
  signal?: AbortSignal,
): RadioGroup<T> {
  const inputs = new Map<T, HTMLInputElement>();
  let current = initial;
  const box = el('div', { class: 'segmented' });
  for (const [value, label] of options) {
    const input = el('input', { type: 'radio', name, value, id: `${name}-${value}` });
    input.checked = value === initial;
    input.addEventListener(
      'change',
      () => {
        current = value;
        onChange(value);
      },
      signal ? { signal } : {},
    );
    inputs.set(value, input);
    box.append(el('label', { for: input.id }, input, label));
  }
  return {
    element: el('fieldset', { class: 'choice' }, el('legend', {}, legend), box),
    value: () => current,
    set(value) {
      current = value;
      for (const [v, input] of inputs) input.checked = v === value;
    },
  };
}

/** A command's or a lamp's state as a small labelled chip (colour and text, never colour alone). */
import { el } from '../app/dom.ts';

export function stateChip(state: string): HTMLElement {
  return el('span', { class: `state state-${state}` }, state);
}

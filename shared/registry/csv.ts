/**
 * Parse CSV text (RFC 4180 quoting) into rows of cells, with the 1-based line each row starts on.
 * A quote that is never closed takes the rest of the text into its cell: that last row is marked
 * `unterminated`, so that a reader can refuse it instead of losing the rows it swallowed.
 */
export function parseCsv(text: string): { line: number; cells: string[]; unterminated?: true }[] {
  const rows: { line: number; cells: string[]; unterminated?: true }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      cells.push(cell);
      if (cells.some((x) => x.trim() !== '')) rows.push({ line: rowLine, cells });
      cells = [];
      cell = '';
      line++;
      rowLine = line;
    } else cell += c;
  }
  cells.push(cell);
  if (quoted) rows.push({ line: rowLine, cells, unterminated: true });
  else if (cells.some((x) => x.trim() !== '')) rows.push({ line: rowLine, cells });
  return rows;
}

/**
 * The demo's live table on a terminal: the block of URLs and commands printed at start stays where
 * it is; only the table under it is redrawn in place (cursor up over the previous table, erase to the
 * end of the screen, the new one). Not a terminal (a pipe, a file, a CI log): plain lines, each
 * table after the last.
 */

/** Terminal rows `text` takes `columns` wide (a long line wraps onto several). */
export function rowsOf(text: string, columns: number | undefined): number {
  const width = columns !== undefined && columns > 0 ? columns : Infinity;
  return text.split('\n').reduce((rows, line) => rows + Math.max(1, Math.ceil(line.length / width)), 0);
}

/** What to write to replace the block drawn last (`previousRows` tall, cursor just below it) with `text`. */
export function redraw(previousRows: number, text: string): string {
  return `${previousRows > 0 ? `\x1b[${previousRows}A\r\x1b[J` : ''}${text}\n`;
}

export interface Terminal {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class LiveBlock {
  private rows = 0;

  constructor(private readonly out: Terminal) {}

  show(text: string): void {
    if (this.out.isTTY !== true) {
      this.out.write(`\n${text}\n`);
      return;
    }
    this.out.write(redraw(this.rows, text));
    this.rows = rowsOf(text, this.out.columns);
  }
}

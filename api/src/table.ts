/**
 * Column-aligned text tables for the CLI (`skein proxy-status`, `skein proxy-config`), as kubectl
 * and istioctl print them: upper-case headers, columns padded to their widest cell, three spaces
 * between columns, no trailing spaces.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

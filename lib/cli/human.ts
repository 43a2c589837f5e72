// How docker prints times and sizes for people: "Up 5 seconds", "Exited (0) 3 minutes ago",
// "4.2MB". The wording follows docker's go-units HumanDuration and HumanSize.

export function humanDuration(ms: number): string {
  // Go's int() truncates: seconds, minutes, days, weeks, months and years round down; hours
  // alone are rounded (go-units: int(d.Hours() + 0.5)). 90 s is "About a minute".
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))}${units[i]}`;
}

/**
 * Print rows as docker does (Go's text/tabwriter with minwidth 10, padding 3): each column is
 * its widest cell plus three spaces, and at least 10 wide; the last column is not padded.
 */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(10 - 3, h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('   ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

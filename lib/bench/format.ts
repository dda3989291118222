// Number formats shared by the text and HTML reports.

export function ms(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : '-';
}

/** Two significant digits below 0.1, so a small ratio does not read as 0. */
export function ratio(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '-';
  return `${v >= 0.1 ? v.toFixed(2) : v.toPrecision(2)}x`;
}

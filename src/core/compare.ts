// Ordering names the same way everywhere: plain code-point order. It is
// stable across machines and locales, and unlike localeCompare it does not
// load ICU's collation data, a visible cost at the start of quick commands.
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** 1000000 → "1,000,000", without Intl (which loads ICU data). */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

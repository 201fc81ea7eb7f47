// Numbers, money and dates written as the page's language writes them (the browser's
// CLDR data, as Babel's on the server).
const lang = document.documentElement.lang || "en";
const numbers = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
const days = new Intl.DateTimeFormat(lang, { dateStyle: "long", timeZone: "UTC" });

export function number(value) {
  return numbers.format(value);
}

export function money(amount, currency) {
  return new Intl.NumberFormat(lang, { style: "currency", currency }).format(amount);
}

/** "40 × 30 × 20": sizes in millimetres, the unit left to a message. */
export function sizes(values) {
  return values.map(number).join(" × ");
}

/** A calendar date given as "2026-12-03". */
export function date(isoDate) {
  return days.format(new Date(`${isoDate.slice(0, 10)}T00:00:00Z`));
}

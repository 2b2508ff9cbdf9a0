// UI words come from the message catalogues web/i18n/{ar,en}.json, never from
// code. Arabic is the default; the switch flips <html lang dir> and re-renders.
let current = 'ar';
let catalogue = {};
const listeners = [];

export function lang() { return current; }
export function isArabic() { return current === 'ar'; }

export async function loadLanguage(wanted) {
  const language = wanted === 'en' ? 'en' : 'ar';
  const response = await fetch(`/i18n/${language}.json`, { cache: 'no-cache' });
  if (!response.ok) throw new Error(`catalogue ${language}: ${response.status}`);
  catalogue = await response.json();
  current = language;
  document.documentElement.lang = language;
  document.documentElement.dir = language === 'ar' ? 'rtl' : 'ltr';
  try { localStorage.setItem('lahza.lang', language); } catch { /* private mode */ }
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  document.title = t('app.title');
  for (const fn of listeners) fn(language);
}

export function savedLanguage() {
  try { return localStorage.getItem('lahza.lang') || 'ar'; } catch { return 'ar'; }
}

export function onLanguageChange(fn) { listeners.push(fn); }

// t('send.title') or t('send.fee', {fee: '…'}). A missing key shows the key
// itself so a gap is visible (the catalogue test lists them).
export function t(key, values) {
  let text = Object.prototype.hasOwnProperty.call(catalogue, key) ? catalogue[key] : key;
  if (values) text = text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
  return text;
}

// The server sends both languages side by side: pick(obj, 'message') reads
// obj.message_ar or obj.message_en.
export function pick(obj, base) {
  if (!obj) return '';
  const mine = obj[`${base}_${current}`];
  return mine !== undefined && mine !== null && mine !== '' ? mine : obj[`${base}_${current === 'ar' ? 'en' : 'ar'}`] || '';
}

// A value the server sends as {ar, en} (labels, article titles), or text.
export function tr(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return value[current] || value[current === 'ar' ? 'en' : 'ar'] || '';
}

// A money value from the server ({piastres, ar, en}) or raw piastres.
export function money(value) {
  if (value && typeof value === 'object') {
    if (value[current]) return value[current];
    return formatPiastres(value.piastres);
  }
  return formatPiastres(value);
}

// Integer arithmetic only: pounds and piastres are split before formatting.
export function formatPiastres(piastres) {
  if (piastres === null || piastres === undefined || Number.isNaN(Number(piastres))) return '—';
  const p = Math.trunc(Number(piastres));
  const negative = p < 0;
  const abs = Math.abs(p);
  const pounds = Math.trunc(abs / 100);
  const rest = abs % 100;
  const locale = current === 'ar' ? 'ar-EG' : 'en-EG';
  const number = new Intl.NumberFormat(locale, { useGrouping: true }).format(pounds);
  const fraction = new Intl.NumberFormat(locale, { minimumIntegerDigits: 2, useGrouping: false }).format(rest);
  const decimal = current === 'ar' ? '٫' : '.';
  const text = `${number}${decimal}${fraction}`;
  // Arabic puts an Arabic letter mark before the minus (as Intl does) so the
  // sign stays with the number in any direction.
  const sign = negative ? (current === 'ar' ? '\u061C-' : '-') : '';
  return t('money.egp', { amount: sign + text });
}

export function formatNumber(n) {
  return new Intl.NumberFormat(current === 'ar' ? 'ar-EG' : 'en-EG').format(n);
}

// Cairo wall-clock time for an instant (ms since epoch or ISO text).
export function formatTime(value) {
  if (value === null || value === undefined || value === '') return '';
  const date = typeof value === 'number' ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(current === 'ar' ? 'ar-EG' : 'en-GB', {
    timeZone: 'Africa/Cairo', dateStyle: 'medium', timeStyle: 'short',
  }).format(date);
}

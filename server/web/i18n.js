// Every string a screen shows comes from a message catalogue (i18n/en.js, i18n/zh-CN.js);
// the locale switch in the header changes it. Times are shown in the site's time zone, named.
import en from './i18n/en.js';
import zhCN from './i18n/zh-CN.js';

/** @typedef {Record<string, string>} Catalogue */

/** @type {Record<string, {name: string, messages: Catalogue}>} */
export const locales = {
  en: { name: 'English', messages: en },
  'zh-CN': { name: '简体中文', messages: zhCN },
};

const LOCALE_KEY = 'custody.locale';

function initialLocale() {
  const saved = localStorage.getItem(LOCALE_KEY);
  if (saved && saved in locales) return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

let current = initialLocale();
let timeZone = 'UTC';

/** Keys a screen asked for that the current catalogue lacks (the tests read this). */
export const missing = new Set();
/** @type {any} */ (window).custodyMissingMessages = missing;

export function locale() {
  return current;
}

/** @param {string} next */
export function setLocale(next) {
  if (!(next in locales)) return;
  current = next;
  localStorage.setItem(LOCALE_KEY, next);
  document.documentElement.lang = next;
}

/** @param {string} zone the site's IANA time zone */
export function setTimeZone(zone) {
  timeZone = zone || 'UTC';
}

export function siteTimeZone() {
  return timeZone;
}

/**
 * The message `key` in the current locale, with {name} placeholders filled from `params`.
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 */
export function t(key, params) {
  let text = locales[current].messages[key];
  if (text === undefined) {
    missing.add(`${current}:${key}`);
    text = en[key] ?? key;
  }
  if (params) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  return text;
}

/** Whether the catalogue has `key` (for messages keyed by an error code). */
export function has(/** @type {string} */ key) {
  return key in locales[current].messages;
}

/**
 * A time from the API, in the site's zone, with the zone named ("30 Nov 2026, 14:05:09 CET").
 * @param {string | undefined | null} iso
 */
export function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return formatter('time', () => new Intl.DateTimeFormat(current, {
    timeZone,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
  })).format(d);
}

/** @type {Map<string, any>} */
const formatters = new Map();
/**
 * Intl formatters are costly to make (a board of a thousand rows would make thousands): one
 * per kind, locale and zone.
 * @template T
 * @param {string} kind
 * @param {() => T} make
 * @returns {T}
 */
function formatter(kind, make) {
  const key = `${kind}|${current}|${timeZone}`;
  let f = formatters.get(key);
  if (!f) {
    f = make();
    formatters.set(key, f);
  }
  return f;
}

/**
 * A quantity as the API gives it (a number or a decimal string), in the locale's digits.
 * @param {number | string | undefined | null} q
 */
export function formatQty(q) {
  if (q === undefined || q === null || q === '') return '';
  const n = Number(q);
  return Number.isFinite(n) ? formatter('qty', () => new Intl.NumberFormat(current, { maximumFractionDigits: 3 })).format(n) : String(q);
}

/**
 * An amount of money in the site's currency, always with its cents ("297.20 EUR").
 * @param {number|string|undefined} amount
 * @param {string} currency
 */
export function formatMoney(amount, currency) {
  if (amount === undefined || amount === null || amount === '') return '';
  const n = Number(amount);
  const number = Number.isFinite(n)
    ? formatter('money', () => new Intl.NumberFormat(current, { minimumFractionDigits: 2, maximumFractionDigits: 2 })).format(n)
    : String(amount);
  return `${number} ${currency ?? ''}`.trim();
}

/**
 * A time a person typed as the site's wall clock ("2026-10-01T08:00", from an input of type
 * datetime-local), as an RFC 3339 instant for the API.
 * @param {string} local
 */
export function siteLocalToIso(local) {
  if (!local) return '';
  const guess = new Date(local.length === 16 ? local + ':00Z' : local + 'Z');
  if (Number.isNaN(guess.getTime())) return local;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(guess);
  /** @param {string} type */
  const part = (type) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return new Date(guess.getTime() - (wall - guess.getTime())).toISOString();
}

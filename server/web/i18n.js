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
  return new Intl.DateTimeFormat(current, {
    timeZone,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
  }).format(d);
}

/**
 * A quantity as the API gives it (a number or a decimal string), in the locale's digits.
 * @param {number | string | undefined | null} q
 */
export function formatQty(q) {
  if (q === undefined || q === null || q === '') return '';
  const n = Number(q);
  return Number.isFinite(n) ? new Intl.NumberFormat(current, { maximumFractionDigits: 3 }).format(n) : String(q);
}

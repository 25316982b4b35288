// custody's screens: a session, the site's time zone, a locale, and the screens the person's
// roles may use. Routes are the part of the address after #: #/floor, #/boards, #/qa,
// #/audit/<collection>/<id>.
import { html, render } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { call, csrfToken, get, setCsrfToken, whenSignedOut } from './api.js';
import { can, canRead, setPermissions } from './session.js';
import { locale, locales, setLocale, setTimeZone, siteTimeZone, t } from './i18n.js';
import { Outbox } from './outbox.js';
import { Admin } from './screens/admin.js';
import { Audit } from './screens/audit.js';
import { Boards } from './screens/boards.js';
import { Exceptions } from './screens/exceptions.js';
import { Floor } from './screens/floor.js';
import { Kpi } from './screens/kpi.js';
import { Orders } from './screens/orders.js';
import { Qa } from './screens/qa.js';
import { Recall } from './screens/recall.js';
import { SignIn } from './screens/signin.js';

/** @typedef {{user: string, name: string, roles: string[]}} Session */

/**
 * The screens, and who is offered each: decided by what the person may do (the server's
 * table, from GET /v1/whoami), so a role never sees a screen it could not use.
 */
const SCREENS = [
  { id: 'floor', offered: () => can('op.start') },
  { id: 'boards', offered: () => canRead('state') },
  { id: 'orders', offered: () => (canRead('state') && !can('op.start')) || can('wo.release') || canRead('log') },
  { id: 'exceptions', offered: () => can('exception.raise') },
  { id: 'kpi', offered: () => (canRead('state') && !can('op.start')) || canRead('log') },
  { id: 'qa', offered: () => can('lot.release') },
  // Recall is for those away from the line (QA, planning, audit) and supervisors.
  { id: 'recall', offered: () => (canRead('state') && !can('op.start')) || canRead('log') },
  { id: 'audit', offered: () => canRead('log') },
  { id: 'admin', offered: () => canRead('identity') || can('signature.set_policy') },
];
const SESSION_KEY = 'custody.session';

const allowed = () => SCREENS.filter((x) => x.offered());

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { screen: parts[0] ?? '', rest: parts.slice(1) };
}

function App() {
  const [session, setSession] = useState(/** @type {Session | null} */ (null));
  const [checked, setChecked] = useState(false);
  const [where, setWhere] = useState(route());
  const [, setLang] = useState(locale());
  const [online, setOnline] = useState(true);
  const [waiting, setWaiting] = useState(0);
  const [site, setSite] = useState(/** @type {any} */ (null));

  useEffect(() => {
    const onHash = () => setWhere(route());
    addEventListener('hashchange', onHash);
    whenSignedOut(() => {
      setCsrfToken('');
      sessionStorage.removeItem(SESSION_KEY);
      setSession(null);
    });
    // A tab that signed in before keeps its session while the server does.
    const saved = sessionStorage.getItem(SESSION_KEY);
    if (saved && csrfToken()) {
      get('/v1/whoami').then(
        (w) => {
          setPermissions(w);
          setSession({ ...JSON.parse(saved), roles: w.roles });
        },
        () => {},
      ).finally(() => setChecked(true));
    } else {
      setChecked(true);
    }
    return () => removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    if (!session) return;
    get('/v1/site').then((s) => {
      setTimeZone(s.timeZone);
      setSite(s);
    }, () => {});
  }, [session]);

  const outbox = useMemo(() => (session ? new Outbox(session.user) : null), [session?.user]);
  useEffect(() => {
    if (!outbox) return;
    setOnline(outbox.online);
    const off = outbox.subscribe((o) => {
      setOnline(o.online);
      setWaiting(o.pending);
    });
    outbox.flush();
    const retry = () => outbox.flush();
    addEventListener('online', retry);
    return () => {
      off();
      removeEventListener('online', retry);
    };
  }, [outbox]);

  if (!checked) return null;
  if (!session) {
    return html`<${Header} session=${null} site=${null} onLocale=${setLang} />
      <${SignIn} onSignedIn=${async (/** @type {Session} */ s) => {
        sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
        setPermissions(await get('/v1/whoami'));
        setSession(s);
      }} />`;
  }
  const screens = allowed();
  const screen = where.screen || screens[0]?.id || 'boards';
  const permitted = screens.some((s) => s.id === screen);
  return html`<${Header} session=${session} site=${site} onLocale=${setLang} screens=${screens} current=${screen} />
    ${!online && html`<div class="banner offline" role="alert">${t('banner.offline', { n: waiting })}</div>`}
    ${!permitted ? html`<main><h1>${t('denied.title')}</h1><p>${t('denied.text')}</p></main>`
      : screen === 'floor' ? html`<${Floor} outbox=${outbox} />`
      : screen === 'boards' ? html`<${Boards} live=${canRead('log')} />`
      : screen === 'admin' ? html`<${Admin} />`
      : screen === 'kpi' ? html`<${Kpi} />`
      : screen === 'orders' ? html`<${Orders} id=${where.rest[0] ?? ''} />`
      : screen === 'exceptions' ? html`<${Exceptions} user=${session.user} />`
      : screen === 'qa' ? html`<${Qa} user=${session.user} />`
      : screen === 'recall' ? html`<${Recall} />`
      : screen === 'audit' ? html`<${Audit} collection=${where.rest[0] ?? 'lots'} id=${where.rest[1] ?? ''} go=${(/** @type {string} */ h) => { location.hash = h; }} />`
      : html`<main><h1>${t('denied.title')}</h1></main>`}`;
}

/**
 * @param {{session: Session | null, site: any, onLocale: (l: string) => void,
 *          screens?: {id: string}[], current?: string}} props
 */
function Header({ session, site, onLocale, screens = [], current = '' }) {
  async function signOut() {
    try {
      await call('DELETE', '/v1/session');
    } catch {
      // Signed out here either way.
    }
    setCsrfToken('');
    sessionStorage.removeItem(SESSION_KEY);
    location.hash = '';
    location.reload();
  }
  return html`<header class="top">
    <span class="brand">custody${site?.name ? html` · <span>${site.name}</span>` : null}</span>
    ${session && html`<nav aria-label=${t('nav.label')}>
      ${screens.map((s) => html`<a href=${'#/' + s.id} aria-current=${s.id === current ? 'page' : undefined}>${t('nav.' + s.id)}</a>`)}
    </nav>`}
    <span class="spacer"></span>
    ${session && html`<span class="zone">${t('header.zone', { zone: siteTimeZone() })}</span>`}
    <label class="locale">
      <span class="visually-hidden">${t('header.language')}</span>
      <select aria-label=${t('header.language')} value=${locale()}
        onChange=${(/** @type {Event} */ ev) => { setLocale(/** @type {HTMLSelectElement} */ (ev.target).value); onLocale(locale()); }}>
        ${Object.entries(locales).map(([id, l]) => html`<option value=${id} lang=${id}>${l.name}</option>`)}
      </select>
    </label>
    ${session && html`<span class="who">${t('header.signedIn', { name: session.name, roles: session.roles.map((r) => t('role.' + r)).join(', ') })}</span>
      <button class="secondary" onClick=${signOut}>${t('header.signOut')}</button>`}
  </header>`;
}

document.documentElement.lang = locale();
const root = document.getElementById('app');
if (root) render(html`<${App} />`, root);

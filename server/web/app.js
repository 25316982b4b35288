// custody's screens: a session, the site's time zone, a locale, and the screens the person's
// roles may use. Routes are the part of the address after #: #/floor, #/boards, #/qa,
// #/audit/<collection>/<id>.
import { html, render } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { call, csrfToken, get, setCsrfToken, whenSignedOut } from './api.js';
import { can, canRead, setPermissions } from './session.js';
import { locale, locales, setLocale, setTimeZone, siteTimeZone, t } from './i18n.js';
import { Outbox } from './outbox.js';
import { SignIn } from './screens/signin.js';

/** @typedef {{user: string, name: string, roles: string[]}} Session */

/**
 * Each screen's module, fetched when it is first shown: the floor terminal does not load the
 * chart and graph libraries the KPI and recall screens need.
 * @type {Record<string, () => Promise<any>>}
 */
const MODULES = {
  floor: () => import('./screens/floor.js').then((m) => m.Floor),
  boards: () => import('./screens/boards.js').then((m) => m.Boards),
  orders: () => import('./screens/orders.js').then((m) => m.Orders),
  exceptions: () => import('./screens/exceptions.js').then((m) => m.Exceptions),
  kpi: () => import('./screens/kpi.js').then((m) => m.Kpi),
  qa: () => import('./screens/qa.js').then((m) => m.Qa),
  recall: () => import('./screens/recall.js').then((m) => m.Recall),
  enterprise: () => import('./screens/enterprise.js').then((m) => m.Enterprise),
  audit: () => import('./screens/audit.js').then((m) => m.Audit),
  admin: () => import('./screens/admin.js').then((m) => m.Admin),
};

/**
 * A screen once its module has arrived.
 * @param {{id: string, props: Record<string, unknown>}} props
 */
function Screen({ id, props }) {
  // The module with the id it is for: until the new one arrives, the old one is not drawn
  // with the new screen's props.
  const [loaded, setLoaded] = useState(/** @type {{id: string, component: any} | null} */ (null));
  useEffect(() => {
    let live = true;
    MODULES[id]().then((component) => live && setLoaded({ id, component }));
    return () => {
      live = false;
    };
  }, [id]);
  return loaded && loaded.id === id
    ? html`<${loaded.component} ...${props} />`
    : html`<main><p>${t('common.loading')}</p></main>`;
}

// Whether the server holds an enterprise view (GET /v1/enterprise/sites), asked once signed in.
let enterprise = false;

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
  // Across the company's sites: only on a server with an enterprise view, for the recall team.
  { id: 'enterprise', offered: () => canRead('enterprise') && enterprise },
  { id: 'audit', offered: () => canRead('log') },
  { id: 'admin', offered: () => canRead('identity') || can('signature.set_policy') },
];
const SESSION_KEY = 'custody.session';

const allowed = () => SCREENS.filter((x) => x.offered());

/**
 * What each screen is given.
 * @param {string} screen
 * @param {Session} session
 * @param {string[]} rest the route after the screen's name
 * @param {Outbox | null} outbox
 * @returns {Record<string, unknown>}
 */
function propsOf(screen, session, rest, outbox) {
  switch (screen) {
    case 'floor':
      return { outbox, user: session.user };
    case 'boards':
      return { live: canRead('log') };
    case 'orders':
      return { id: rest[0] ?? '' };
    case 'exceptions':
    case 'qa':
      return { user: session.user };
    case 'audit':
      return { collection: rest[0] ?? 'lots', id: rest[1] ?? '', go: (/** @type {string} */ h) => { location.hash = h; } };
    default:
      return {};
  }
}

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

  const [, setEnterprise] = useState(false);
  useEffect(() => {
    if (!session) return;
    get('/v1/site').then((s) => {
      setTimeZone(s.timeZone);
      setSite(s);
    }, () => {});
    if (canRead('enterprise')) {
      get('/v1/enterprise/sites').then((e) => {
        enterprise = e.configured;
        setEnterprise(e.configured);
      }, () => {});
    }
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
      : html`<${Screen} id=${screen} props=${propsOf(screen, session, where.rest, outbox)} />`}`;
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

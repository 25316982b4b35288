// Enterprise recall, read-only: start from a lot at one site and follow its shipments into the
// sister sites that received them (custody serve --enterprise). Each site says how current its
// copy is, so a stale copy is never read as the truth; the customers listed are the ones to
// call (transfers between the company's own sites are followed, not called). Below it, the
// trace across sites: the genealogy alone, either way, from the sites' in-memory graphs.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get, withQuery } from '../api.js';
import { ErrorText, Field, Status, describe } from '../components.js';
import { formatQty, formatTime, t } from '../i18n.js';

export function Enterprise() {
  const [sites, setSites] = useState(/** @type {any[]} */ ([]));
  const [site, setSite] = useState('');
  const [lot, setLot] = useState('');
  const [report, setReport] = useState(/** @type {any} */ (null));
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get('/v1/enterprise/sites').then((s) => {
      setSites(s.sites);
      setSite((current) => current || s.sites[0]?.site || '');
    }, (e) => setProblem(describe(e)));
  }, []);

  async function run() {
    setBusy(true);
    setProblem(null);
    try {
      const r = await get(withQuery('/v1/enterprise/recall', { site, lot: lot.trim() }));
      setReport(r);
      setSites(r.sites.map((/** @type {any} */ s) => s.status));
    } catch (e) {
      setReport(null);
      setProblem(describe(e));
    } finally {
      setBusy(false);
    }
  }

  return html`<main class="enterprise">
    <h1>${t('enterprise.title')}</h1>
    <p class="hint">${t('enterprise.intro')}</p>
    <form class="lookup" onSubmit=${(/** @type {Event} */ ev) => { ev.preventDefault(); run(); }}>
      <${SiteSelect} id="enterprise-site" sites=${sites} value=${site} onChange=${setSite} />
      <${Field} id="enterprise-lot" label=${t('col.lot')} value=${lot} onInput=${setLot} />
      <button type="submit" class="primary" disabled=${busy || !site}>${t('enterprise.run')}</button>
    </form>
    <${ErrorText} error=${problem} id="enterprise-error" />
    <${Sites} sites=${sites} reached=${report ? new Set(report.sites.filter((/** @type {any} */ s) => s.reached).map((/** @type {any} */ s) => s.status.site)) : null} />
    ${report && html`<${Report} report=${report} />`}
    <${TraceAcross} sites=${sites} />
  </main>`;
}

/**
 * A choice of the enterprise's sites.
 * @param {{id: string, sites: any[], value: string, onChange: (site: string) => void}} props
 */
function SiteSelect({ id, sites, value, onChange }) {
  return html`<div class="field">
    <label for=${id}>${t('enterprise.site')}</label>
    <select id=${id} value=${value} onChange=${(/** @type {Event} */ ev) => onChange(/** @type {HTMLSelectElement} */ (ev.target).value)}>
      ${sites.map((s) => html`<option value=${s.site}>${s.site}</option>`)}
    </select>
  </div>`;
}

/**
 * Which lots, at every site, a lot went into (forward) or came from (backward).
 * @param {{sites: any[]}} props
 */
function TraceAcross({ sites }) {
  const [site, setSite] = useState('');
  const [lot, setLot] = useState('');
  const [direction, setDirection] = useState('forward');
  const [trace, setTrace] = useState(/** @type {any} */ (null));
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  const [busy, setBusy] = useState(false);
  const from = site || sites[0]?.site || '';

  async function run() {
    setBusy(true);
    setProblem(null);
    try {
      setTrace(await get(withQuery('/v1/enterprise/trace', { site: from, lot: lot.trim(), direction })));
    } catch (e) {
      setTrace(null);
      setProblem(describe(e));
    } finally {
      setBusy(false);
    }
  }

  const s = trace?.summary;
  return html`<section aria-labelledby="enterprise-trace">
    <h2 id="enterprise-trace">${t('enterprise.traceTitle')}</h2>
    <p class="hint">${t('enterprise.traceIntro')}</p>
    <form class="trace-lookup" onSubmit=${(/** @type {Event} */ ev) => { ev.preventDefault(); run(); }}>
      <${SiteSelect} id="enterprise-trace-site" sites=${sites} value=${from} onChange=${setSite} />
      <${Field} id="enterprise-trace-lot" label=${t('col.lot')} value=${lot} onInput=${setLot} />
      <div class="field">
        <label for="enterprise-trace-direction">${t('enterprise.direction')}</label>
        <select id="enterprise-trace-direction" value=${direction} onChange=${(/** @type {Event} */ ev) => setDirection(/** @type {HTMLSelectElement} */ (ev.target).value)}>
          <option value="forward">${t('enterprise.forward')}</option>
          <option value="backward">${t('enterprise.backward')}</option>
        </select>
      </div>
      <button type="submit" disabled=${busy || !from}>${t('enterprise.trace')}</button>
    </form>
    <${ErrorText} error=${problem} id="enterprise-trace-error" />
    ${trace && html`<p class="trace-summary">${t('enterprise.traceSummary', { sites: s.sitesReached, lots: s.lots, links: s.crossSiteLinks })}</p>
      ${s.staleSitesReached > 0 && html`<div class="banner stale" role="alert">${t('enterprise.staleWarning', { n: s.staleSitesReached })}</div>`}
      <table class="enterprise-trace-lots" data-direction=${trace.direction}>
        <thead><tr><th scope="col">${t('enterprise.site')}</th><th scope="col">${t('col.lot')}</th>
          <th scope="col">${t('enterprise.hops')}</th><th scope="col">${t('recall.depth')}</th></tr></thead>
        <tbody>${trace.lots.map((/** @type {any} */ l) => html`<tr data-site=${l.site} data-lot=${l.lot}>
          <td>${l.site}</td><td>${l.lot}</td><td class="num">${l.hops}</td><td class="num">${l.depth}</td></tr>`)}</tbody>
      </table>
      <table class="enterprise-trace-links">
        <caption>${t('enterprise.links')}</caption>
        <thead><tr><th scope="col">${t('enterprise.linkFrom')}</th><th scope="col">${t('enterprise.linkTo')}</th></tr></thead>
        <tbody>${trace.links.map((/** @type {any} */ x) => html`<tr data-from=${x.fromSite + ' ' + x.fromLot} data-to=${x.toSite + ' ' + x.toLot}>
          <td>${x.fromSite} · ${x.fromLot}</td><td>${x.toSite} · ${x.toLot}</td></tr>`)}</tbody>
      </table>`}
  </section>`;
}

/**
 * How current each site's copy is.
 * @param {{sites: any[], reached: Set<string> | null}} props
 */
function Sites({ sites, reached }) {
  return html`<section aria-labelledby="enterprise-sites">
    <h2 id="enterprise-sites">${t('enterprise.sites')}</h2>
    <table class="enterprise-sites">
      <thead><tr><th scope="col">${t('enterprise.site')}</th><th scope="col">${t('enterprise.kind')}</th>
        <th scope="col">${t('enterprise.seq')}</th><th scope="col">${t('enterprise.syncedAt')}</th>
        <th scope="col">${t('enterprise.age')}</th><th scope="col">${t('enterprise.freshness')}</th>
        ${reached && html`<th scope="col">${t('enterprise.reached')}</th>`}</tr></thead>
      <tbody>${sites.map((s) => html`<tr data-site=${s.site} data-stale=${String(s.stale)}>
        <td>${s.site}</td><td>${t(s.copy ? 'enterprise.copy' : 'enterprise.own')}</td>
        <td class="num">${s.seq}</td><td>${s.syncedAt ? formatTime(s.syncedAt) : '—'}</td>
        <td class="num">${formatQty(s.ageSeconds)} s</td>
        <td><span class=${'badge ' + (s.stale ? 'stale' : 'current')} title=${s.error ?? ''}>${t(s.stale ? 'enterprise.stale' : 'enterprise.current')}</span></td>
        ${reached && html`<td>${t(reached.has(s.site) ? 'enterprise.yes' : 'enterprise.no')}</td>`}</tr>`)}</tbody>
    </table>
  </section>`;
}

/** @param {{report: any}} props */
function Report({ report }) {
  const s = report.summary;
  const reached = report.sites.filter((/** @type {any} */ x) => x.reached);
  return html`<section aria-labelledby="enterprise-summary">
      <h2 id="enterprise-summary">${t('enterprise.summary', { sites: s.sitesReached, lots: s.lots, shipments: s.shipments, customers: s.customers, edges: s.crossSiteEdges })}</h2>
      ${s.staleSitesReached > 0 && html`<div class="banner stale" role="alert">${t('enterprise.staleWarning', { n: s.staleSitesReached })}</div>`}
      ${s.unfollowedTransfers > 0 && html`<div class="banner stale" role="alert">${t('enterprise.unfollowedWarning', { n: s.unfollowedTransfers })}</div>`}
      <p class="hint">${t('enterprise.elapsed', { ms: formatQty(report.elapsedMs) })}</p>
    </section>
    <section aria-labelledby="enterprise-edges">
      <h2 id="enterprise-edges">${t('enterprise.edges')}</h2>
      <table class="enterprise-edges">
        <thead><tr><th scope="col">${t('enterprise.from')}</th><th scope="col">${t('enterprise.to')}</th><th scope="col">${t('enterprise.basis')}</th>
          <th scope="col">${t('recall.shipment')}</th><th scope="col">${t('recall.shipped')}</th><th scope="col">${t('recall.received')}</th></tr></thead>
        <tbody>${report.edges.map((/** @type {any} */ e) => html`<tr data-from=${e.fromSite + ' ' + e.fromLot} data-to=${e.toSite + ' ' + e.toLot} data-basis=${e.basis}>
          <td>${e.fromSite} · ${e.fromLot}</td><td>${e.toSite} · ${e.toLot}</td>
          <td title=${e.sscc ?? ''}>${t('enterprise.basis.' + e.basis)}</td><td>${e.shipment}</td>
          <td class="num">${formatQty(e.shipped)} ${e.uom}</td><td class="num">${formatQty(e.received)}</td></tr>`)}</tbody>
      </table>
    </section>
    ${report.unfollowedTransfers.length > 0 && html`<section aria-labelledby="enterprise-unfollowed">
      <h2 id="enterprise-unfollowed">${t('enterprise.unfollowed')}</h2>
      <table class="enterprise-unfollowed">
        <thead><tr><th scope="col">${t('enterprise.from')}</th><th scope="col">${t('enterprise.toSite')}</th><th scope="col">${t('recall.shipment')}</th>
          <th scope="col">${t('recall.date')}</th><th scope="col">${t('col.qty')}</th></tr></thead>
        <tbody>${report.unfollowedTransfers.map((/** @type {any} */ u) => html`<tr data-from=${u.fromSite + ' ' + u.lot} data-to=${u.toSite} data-shipment=${u.shipment}>
          <td>${u.fromSite} · ${u.lot}</td><td>${u.toSite}</td><td>${u.shipment}</td><td>${formatTime(u.shippedAt)}</td>
          <td class="num">${formatQty(u.qty)} ${u.uom}</td></tr>`)}</tbody>
      </table>
    </section>`}
    <section aria-labelledby="enterprise-customers">
      <h2 id="enterprise-customers">${t('enterprise.customers')}</h2>
      <table class="enterprise-customers">
        <thead><tr><th scope="col">${t('enterprise.site')}</th><th scope="col">${t('recall.customer')}</th><th scope="col">${t('col.qty')}</th><th scope="col">${t('recall.shipmentCount')}</th></tr></thead>
        <tbody>${reached.flatMap((/** @type {any} */ x) => x.recall.customers.map((/** @type {any} */ c) => html`<tr data-site=${x.status.site} data-customer=${c.customer}>
          <td>${x.status.site}</td><td>${c.name || c.customer}</td><td class="num">${formatQty(c.qty)} ${c.uom}</td><td class="num">${c.shipments}</td></tr>`))}</tbody>
      </table>
    </section>
    ${reached.map((/** @type {any} */ x) => html`<section aria-labelledby=${'enterprise-lots-' + x.status.site}>
      <h2 id=${'enterprise-lots-' + x.status.site}>${t('enterprise.siteLots', { site: x.status.site, n: x.recall.lots.length, seq: x.recall.asOfSeq })}</h2>
      <table class="enterprise-lots" data-site=${x.status.site}>
        <thead><tr><th scope="col">${t('col.lot')}</th><th scope="col">${t('recall.depth')}</th><th scope="col">${t('col.material')}</th>
          <th scope="col">${t('col.status')}</th><th scope="col">${t('col.onHand')}</th></tr></thead>
        <tbody>${x.recall.lots.map((/** @type {any} */ l) => html`<tr data-lot=${l.lot}>
          <td>${l.lot}</td><td class="num">${l.depth}</td><td>${l.product || l.material}</td>
          <td><${Status} status=${l.status} /></td><td class="num">${formatQty(l.onHand)} ${l.uom}</td></tr>`)}</tbody>
      </table>
    </section>`)}`;
}

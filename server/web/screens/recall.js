// Recall: start from a lot, a supplier's lot, or an equipment and a time window; see the
// genealogy as a graph (laid out by the server; large fan-outs collapsed into summary nodes
// that expand on a click), the affected lots, shipments, customers and mass balance, and
// download the FSMA 204 sortable spreadsheet.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import cytoscape from 'cytoscape';
import { get, withQuery } from '../api.js';
import { ErrorText, Field, Status, describe } from '../components.js';
import { formatQty, formatTime, siteLocalToIso, t } from '../i18n.js';

/** @typedef {{lot?: string, supplier?: string, supplierLot?: string, equipment?: string, from?: string, to?: string}} Scope */

const COLUMN = 230;
const PAGE = 500;
const ROW = 46;

export function Recall() {
  const [mode, setMode] = useState('supplierLot');
  const [form, setForm] = useState(/** @type {Record<string, string>} */ ({ lot: '', supplier: '', supplierLot: '', equipment: '', from: '', to: '' }));
  const [scope, setScope] = useState(/** @type {Scope | null} */ (null));
  const [report, setReport] = useState(/** @type {any} */ (null));
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  const [busy, setBusy] = useState(false);

  /** @param {string} k */
  const set = (k) => (/** @type {string} */ v) => setForm({ ...form, [k]: v });

  async function run() {
    /** @type {Scope} */
    const s = mode === 'lot' ? { lot: form.lot.trim() }
      : mode === 'supplierLot' ? { supplier: form.supplier.trim(), supplierLot: form.supplierLot.trim() }
      : { equipment: form.equipment.trim(), from: siteLocalToIso(form.from), to: siteLocalToIso(form.to) };
    setBusy(true);
    setProblem(null);
    try {
      setReport(await get(withQuery('/v1/recall', { ...s, graph: 'true' })));
      setScope(s);
    } catch (e) {
      setReport(null);
      setProblem(describe(e));
    } finally {
      setBusy(false);
    }
  }

  /** @param {string} file */
  const download = (file) => withQuery('/v1/recall/fsma204/' + file, /** @type {Record<string, string>} */ (scope ?? {}));

  return html`<main class="recall">
    <h1>${t('recall.title')}</h1>
    <form class="lookup" onSubmit=${(/** @type {Event} */ ev) => { ev.preventDefault(); run(); }}>
      <div class="field">
        <label for="recall-mode">${t('recall.from')}</label>
        <select id="recall-mode" value=${mode} onChange=${(/** @type {Event} */ ev) => setMode(/** @type {HTMLSelectElement} */ (ev.target).value)}>
          <option value="supplierLot">${t('recall.from.supplierLot')}</option>
          <option value="lot">${t('recall.from.lot')}</option>
          <option value="equipment">${t('recall.from.equipment')}</option>
        </select>
      </div>
      ${mode === 'lot' && html`<${Field} id="recall-lot" label=${t('col.lot')} value=${form.lot} onInput=${set('lot')} />`}
      ${mode === 'supplierLot' && html`<${Field} id="recall-supplier" label=${t('recall.supplier')} value=${form.supplier} onInput=${set('supplier')} />
        <${Field} id="recall-supplier-lot" label=${t('recall.supplierLot')} value=${form.supplierLot} onInput=${set('supplierLot')} />`}
      ${mode === 'equipment' && html`<${Field} id="recall-equipment" label=${t('col.equipment')} value=${form.equipment} onInput=${set('equipment')} />
        <${Field} id="recall-from" label=${t('recall.windowFrom')} type="datetime-local" value=${form.from} onInput=${set('from')} />
        <${Field} id="recall-to" label=${t('recall.windowTo')} type="datetime-local" value=${form.to} onInput=${set('to')} />`}
      <button type="submit" class="primary" disabled=${busy}>${t('recall.run')}</button>
    </form>
    <${ErrorText} error=${problem} id="recall-error" />
    ${report && html`<${Report} report=${report} download=${download} />`}
  </main>`;
}

/**
 * @param {{report: any, download: (file: string) => string}} props
 */
function Report({ report, download }) {
  const s = report.summary;
  // A recall of thousands of lots shows the first rows at once; the rest on request (the
  // FSMA 204 files and the CSV of `custody recall` hold them all).
  const [all, setAll] = useState(false);
  const lots = all ? report.lots : report.lots.slice(0, PAGE);
  const shipments = all ? report.shipments : report.shipments.slice(0, PAGE);
  const more = !all && (report.lots.length > PAGE || report.shipments.length > PAGE);
  // The partners past the gate are mostly this recall's customers: their names, not ids.
  const customerNames = new Map(report.customers.map((/** @type {any} */ c) => [c.customer, c.name]));
  return html`<section aria-labelledby="recall-summary">
      <h2 id="recall-summary">${t('recall.summary', { lots: s.lotsReached, orders: s.workOrders, shipments: s.shipments, customers: s.customers })}</h2>
      <p class="hint">${t('recall.asOf', { seq: report.asOfSeq, ms: formatQty(report.elapsedMs) })}</p>
      <p class="downloads">${t('recall.fsma204')}:
        ${['receiving', 'transformation', 'shipping', 'glossary', 'data-gaps', 'traceability-plan'].map((f) => html` <a href=${download(f)} download=${'fsma204-' + f + (f === 'traceability-plan' ? '.txt' : '.csv')}>${t('recall.file.' + f)}</a>`)}
      </p>
    </section>
    <section aria-labelledby="recall-graph-title">
      <h2 id="recall-graph-title">${t('recall.graph')}</h2>
      <p class="hint">${t('recall.graphHint', { fanOut: report.graph.fanOut, collapsed: report.graph.collapsed })}</p>
      <${Graph} graph=${report.graph} lots=${report.lots} />
    </section>
    <section aria-labelledby="recall-lots">
      <h2 id="recall-lots">${t('recall.lots')}</h2>
      <table class="recall-lots">
        <thead><tr><th scope="col">${t('col.lot')}</th><th scope="col">${t('recall.depth')}</th><th scope="col">${t('col.material')}</th>
          <th scope="col">${t('col.status')}</th><th scope="col">${t('col.onHand')}</th><th scope="col">${t('recall.location')}</th></tr></thead>
        <tbody>${lots.map((/** @type {any} */ l) => html`<tr key=${l.lot} data-lot=${l.lot}>
          <td><a href=${'#/audit/lots/' + encodeURIComponent(l.lot)}>${l.lot}</a></td><td class="num">${l.depth}</td>
          <td>${l.product || l.material}</td><td><${Status} status=${l.status} /></td>
          <td class="num" data-qty=${l.onHand}>${formatQty(l.onHand)} ${l.uom}</td><td>${l.location}</td></tr>`)}</tbody>
      </table>
    </section>
    ${more && html`<p><button onClick=${() => setAll(true)}>${t('recall.showAll', { lots: report.lots.length, shipments: report.shipments.length })}</button></p>`}
    <section aria-labelledby="recall-shipments">
      <h2 id="recall-shipments">${t('recall.shipments')}</h2>
      <table class="recall-shipments">
        <thead><tr><th scope="col">${t('recall.shipment')}</th><th scope="col">${t('col.lot')}</th><th scope="col">${t('recall.customer')}</th>
          <th scope="col">${t('recall.date')}</th><th scope="col">${t('col.qty')}</th></tr></thead>
        <tbody>${shipments.map((/** @type {any} */ x) => html`<tr data-shipment=${x.shipment} data-lot=${x.lot} data-qty=${x.qty}>
          <td>${x.shipment}</td><td>${x.lot}</td><td>${x.customerName || x.customer}</td><td>${formatTime(x.date)}</td>
          <td class="num">${formatQty(x.qty)} ${x.uom}</td></tr>`)}</tbody>
      </table>
    </section>
    <section aria-labelledby="recall-customers">
      <h2 id="recall-customers">${t('recall.customers')}</h2>
      <table class="recall-customers">
        <thead><tr><th scope="col">${t('recall.customer')}</th><th scope="col">${t('col.qty')}</th><th scope="col">${t('recall.shipmentCount')}</th><th scope="col">${t('recall.lotCount')}</th></tr></thead>
        <tbody>${report.customers.map((/** @type {any} */ c) => html`<tr data-customer=${c.customer} data-qty=${c.qty}>
          <td>${c.name || c.customer}</td><td class="num">${formatQty(c.qty)} ${c.uom}</td><td class="num">${c.shipments}</td><td class="num">${c.lots}</td></tr>`)}</tbody>
      </table>
    </section>
    ${report.partnerEvents.length > 0 && html`<section aria-labelledby="recall-partners">
      <h2 id="recall-partners">${t('recall.partners')}</h2>
      <p>${t('recall.partnersNote')}</p>
      <table class="recall-partners">
        <thead><tr><th scope="col">${t('recall.partner')}</th><th scope="col">${t('col.lot')}</th><th scope="col">${t('recall.event')}</th>
          <th scope="col">${t('recall.date')}</th><th scope="col">${t('recall.depth')}</th><th scope="col">${t('recall.evidence')}</th></tr></thead>
        <tbody>${report.partnerEvents.map((/** @type {any} */ p) => html`<tr data-event=${p.evidence.eventId} data-seq=${p.evidence.seq}>
          <td class="partner" title=${p.evidence.by}>${customerNames.get(p.evidence.by) || p.evidence.by}</td><td>${p.lot}</td><td>${p.eventType}${p.bizStep ? ' · ' + p.bizStep : ''}${p.errorDeclared && html`<br /><strong class="retracted">${t('recall.retracted', { reason: p.errorDeclared.reason || '—' })}</strong>`}</td>
          <td>${formatTime(p.eventTime)}</td><td class="num">${p.depth}</td>
          <td><span class="document">${p.evidence.document}</span> · <code title=${p.evidence.eventId}>${p.evidence.eventId.slice(0, 26)}…</code></td></tr>`)}</tbody>
      </table>
    </section>`}
    <section aria-labelledby="recall-balance">
      <h2 id="recall-balance">${t('recall.balance')}</h2>
      <table class="recall-balance">
        <thead><tr><th scope="col">${t('col.lot')}</th><th scope="col">${t('recall.received')}</th><th scope="col">${t('recall.consumed')}</th>
          <th scope="col">${t('recall.shipped')}</th><th scope="col">${t('col.onHand')}</th><th scope="col">${t('recall.scrapped')}</th><th scope="col">${t('recall.accounted')}</th></tr></thead>
        <tbody>${report.massBalance.map((/** @type {any} */ b) => html`<tr data-lot=${b.lot}>
          <td>${b.lot}</td><td class="num">${formatQty(b.received)} ${b.uom}</td><td class="num">${formatQty(b.consumed)}</td>
          <td class="num">${formatQty(b.shipped)}</td><td class="num">${formatQty(b.onHand)}</td><td class="num">${formatQty(b.scrapped)}</td>
          <td class="num">${formatQty(b.accountedPct)} %</td></tr>`)}</tbody>
      </table>
    </section>`;
}

/**
 * The genealogy with cytoscape.js, at the positions the server computed.
 * @param {{graph: any, lots: any[]}} props
 */
function Graph({ graph, lots }) {
  const box = useRef(/** @type {HTMLDivElement | null} */ (null));
  useEffect(() => {
    if (!box.current) return;
    // cytoscape adds an inline <style> unless an element with this id exists; the page's
    // policy allows no inline style, so its one rule is in style.css instead.
    if (!document.getElementById('__________cytoscape_stylesheet')) {
      const marker = document.createElement('meta');
      marker.id = '__________cytoscape_stylesheet';
      document.head.appendChild(marker);
    }
    const status = new Map(lots.map((l) => [l.lot, l.status]));
    const started = performance.now();
    const cy = cytoscape({
      container: box.current,
      elements: [
        ...graph.nodes.map((/** @type {any} */ n) => ({
          data: { id: n.id, label: n.kind === 'more' ? t('recall.more', { n: n.count }) : n.id, kind: n.kind, status: status.get(n.id) ?? '', members: n.members ?? [], parent_lot: n.parent ?? '' },
          position: { x: n.x * COLUMN, y: n.y * ROW },
        })),
        ...graph.edges.map((/** @type {any} */ e, /** @type {number} */ i) => ({ data: { id: 'e' + i, source: e.from, target: e.to, kind: e.kind } })),
      ],
      layout: { name: 'preset' },
      style: [
        { selector: 'node', style: { label: 'data(label)', 'font-size': 11, 'text-valign': 'center', 'text-halign': 'right', 'text-margin-x': 6, width: 14, height: 14, 'background-color': '#1f4e79' } },
        { selector: 'node[kind = "more"]', style: { shape: 'round-rectangle', width: 22, height: 22, 'background-color': '#8a5a00' } },
        { selector: 'node[status = "held"], node[status = "rejected"]', style: { 'background-color': '#a4161a' } },
        { selector: 'edge', style: { width: 1, 'line-color': '#9aa5b1', 'curve-style': 'bezier', 'target-arrow-shape': 'triangle', 'target-arrow-color': '#9aa5b1', 'arrow-scale': 0.7 } },
      ],
      wheelSensitivity: 0.3,
    });
    // A summary node expands into the lots it stands for, in its column.
    cy.on('tap', 'node[kind = "more"]', (ev) => {
      const node = ev.target;
      const { x, y } = node.position();
      const members = /** @type {string[]} */ (node.data('members'));
      const parent = node.data('parent_lot');
      cy.batch(() => {
        members.forEach((m, i) => {
          if (cy.getElementById(m).nonempty()) return;
          cy.add({ data: { id: m, label: m, kind: 'lot', status: status.get(m) ?? '', members: [], parent_lot: '' }, position: { x, y: y + i * ROW } });
          cy.add({ data: { id: 'x-' + m, source: parent, target: m, kind: 'consumedInto' } });
        });
        node.remove();
      });
    });
    /** @type {any} */ (window).custodyRecallGraph = { nodes: cy.nodes().length, ms: performance.now() - started, cy };
    return () => cy.destroy();
  }, [graph]);
  return html`<div class="graph" ref=${box} role="img" aria-label=${t('recall.graphLabel', { n: graph.nodes.length })}></div>`;
}

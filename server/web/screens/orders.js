// Work orders: a list with filters, the plan as a Gantt chart per work center, and a detail
// page with the routing steps, the lots consumed and produced, the yield against theory, the
// readings taken on the steps' equipment while they ran, and the exceptions and other records
// of the order.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get, segment, withQuery } from '../api.js';
import { ErrorText, Status, describe } from '../components.js';
import { formatQty, formatTime, t } from '../i18n.js';
import { readingsDuringSteps } from '../steps.js';

const STATUSES = ['created', 'released', 'inProgress', 'completed', 'closed'];

/** @param {{id: string}} props a work order id: its detail; empty: the list */
export function Orders({ id }) {
  return id ? html`<${Order} id=${id} />` : html`<${OrderList} />`;
}

function OrderList() {
  const [status, setStatus] = useState('inProgress');
  const [text, setText] = useState('');
  const [orders, setOrders] = useState(/** @type {any[] | null} */ (null));
  const [next, setNext] = useState(/** @type {string | null} */ (null));
  const [view, setView] = useState('list');
  const [problem, setProblem] = useState(/** @type {any} */ (null));

  /** @param {string} after */
  async function load(after) {
    try {
      const page = await get(withQuery('/v1/work-orders', { status: status === 'all' ? undefined : status, after, limit: 200 }));
      setOrders(after ? [...(orders ?? []), ...page.items] : page.items);
      setNext(page.next);
      setProblem(null);
    } catch (e) {
      setProblem(describe(e));
    }
  }
  useEffect(() => {
    load('');
  }, [status]);

  const needle = text.trim().toLowerCase();
  const shown = (orders ?? []).filter((o) => !needle || o.wo.toLowerCase().includes(needle) || o.material.toLowerCase().includes(needle));
  return html`<main class="orders">
    <h1>${t('wo.title')}</h1>
    <div class="toolbar">
      <div class="field"><label for="wo-status">${t('col.status')}</label>
        <select id="wo-status" value=${status} onChange=${(/** @type {Event} */ ev) => setStatus(/** @type {HTMLSelectElement} */ (ev.target).value)}>
          <option value="all">${t('wo.all')}</option>
          ${STATUSES.map((s) => html`<option value=${s}>${t('status.' + s)}</option>`)}
        </select></div>
      <div class="field"><label for="wo-filter">${t('wo.filter')}</label>
        <input id="wo-filter" value=${text} onInput=${(/** @type {InputEvent} */ ev) => setText(/** @type {HTMLInputElement} */ (ev.target).value)} /></div>
      <div class="field"><span class="label" id="wo-view-label">${t('wo.view')}</span>
        <div role="group" aria-labelledby="wo-view-label" class="segmented">
          <button aria-pressed=${view === 'list'} onClick=${() => setView('list')}>${t('wo.list')}</button>
          <button aria-pressed=${view === 'plan'} onClick=${() => setView('plan')}>${t('wo.plan')}</button>
        </div></div>
    </div>
    <${ErrorText} error=${problem} />
    ${orders && view === 'list' && html`<table class="orders-list">
      <thead><tr><th scope="col">${t('col.wo')}</th><th scope="col">${t('col.material')}</th><th scope="col">${t('col.qty')}</th>
        <th scope="col">${t('col.status')}</th><th scope="col">${t('col.due')}</th><th scope="col">${t('wo.progress')}</th></tr></thead>
      <tbody>${shown.map((o) => html`<tr key=${o.wo} data-wo=${o.wo}>
        <td><a href=${'#/orders/' + encodeURIComponent(o.wo)}>${o.wo}</a></td><td>${o.material}</td>
        <td class="num">${formatQty(o.qty)}</td><td><${Status} status=${o.status} /></td><td>${formatTime(o.due)}</td>
        <td>${t('wo.stepsDone', { done: o.steps.filter((/** @type {any} */ s) => s.status === 'completed').length, all: o.steps.length })}</td></tr>`)}</tbody>
    </table>`}
    ${orders && view === 'plan' && html`<${Gantt} orders=${shown} />`}
    ${next && html`<button onClick=${() => load(next)}>${t('wo.more')}</button>`}
  </main>`;
}

/**
 * The plan per work center: each step's scheduled window (outlined) and what it actually took
 * (filled; up to now while it runs).
 * @param {{orders: any[]}} props
 */
function Gantt({ orders }) {
  const now = Date.now();
  /** @type {{center: string, wo: string, step: string, plan?: [number, number], actual?: [number, number], status: string}[]} */
  const bars = [];
  for (const o of orders) {
    for (const s of o.steps) {
      const plan = s.scheduledStart ? /** @type {[number, number]} */ ([Date.parse(s.scheduledStart), Date.parse(s.scheduledEnd)]) : undefined;
      const actual = s.startedAt ? /** @type {[number, number]} */ ([Date.parse(s.startedAt), s.completedAt ? Date.parse(s.completedAt) : now]) : undefined;
      if (plan || actual) bars.push({ center: s.workCenter, wo: o.wo, step: s.step, plan, actual, status: s.status });
    }
  }
  if (bars.length === 0) return html`<p>${t('wo.noPlan')}</p>`;
  const times = bars.flatMap((b) => [...(b.plan ?? []), ...(b.actual ?? [])]);
  const start = Math.min(...times);
  const end = Math.max(...times);
  const centers = [...new Set(bars.map((b) => b.center))].sort();
  const width = 1100;
  const label = 110;
  const rowHeight = 34;
  /** @param {number} ms */
  const x = (ms) => label + ((ms - start) / Math.max(1, end - start)) * (width - label - 10);
  const hours = [];
  for (let h = Math.ceil(start / 3.6e6) * 3.6e6; h <= end; h += 3.6e6 * Math.max(1, Math.ceil((end - start) / 3.6e6 / 12))) hours.push(h);
  return html`<figure class="gantt">
    <figcaption>${t('wo.planCaption', { from: formatTime(new Date(start).toISOString()), to: formatTime(new Date(end).toISOString()) })}</figcaption>
    <svg viewBox=${`0 0 ${width} ${centers.length * rowHeight + 30}`} role="img" aria-label=${t('wo.plan')}>
      ${hours.map((h) => html`<g><line x1=${x(h)} x2=${x(h)} y1="0" y2=${centers.length * rowHeight} class="tick" />
        <text x=${x(h) + 2} y=${centers.length * rowHeight + 14} class="axis">${formatTime(new Date(h).toISOString()).replace(/^.*?,\s*/, '')}</text></g>`)}
      ${centers.map((c, i) => html`<text x="4" y=${i * rowHeight + 21} class="center">${c}</text>`)}
      ${bars.map((b) => {
        const y = centers.indexOf(b.center) * rowHeight + 6;
        return html`<g data-wo=${b.wo}>
          ${b.plan && html`<rect x=${x(b.plan[0])} y=${y} width=${Math.max(2, x(b.plan[1]) - x(b.plan[0]))} height="22" class="plan"><title>${b.wo} ${b.step} (${t('wo.planned')})</title></rect>`}
          ${b.actual && html`<rect x=${x(b.actual[0])} y=${y + 5} width=${Math.max(2, x(b.actual[1]) - x(b.actual[0]))} height="12" class=${'actual ' + b.status}><title>${b.wo} ${b.step}</title></rect>`}
        </g>`;
      })}
    </svg>
  </figure>`;
}

/**
 * The order's and each step's yield as a percentage of theoretical (21 CFR 211.188(b)(7)); the
 * order's marked when custody judged it outside the product's limits.
 * @param {{y: any}} props the `/yield` answer
 */
function YieldTable({ y }) {
  const { min, max } = y.limits;
  const limits = min !== null && max !== null ? t('wo.yieldBetween', { min, max })
    : min !== null ? t('wo.yieldAtLeast', { min }) : max !== null ? t('wo.yieldAtMost', { max }) : t('wo.yieldNoLimits');
  const percent = (/** @type {number | null} */ p) => p === null ? '—' : `${formatQty(p)} %`;
  const row = (/** @type {any} */ r, /** @type {any} */ phase, /** @type {string} */ key, /** @type {boolean} */ outside) => html`<tr data-phase=${key} class=${outside ? 'late' : ''}>
    <td>${phase}</td><td>${t('wo.basis.' + r.basis)}</td><td class="num">${formatQty(r.theoretical)}</td><td class="num">${formatQty(r.actual)}</td>
    <td class="num">${percent(r.percentOfTheoretical)}${outside ? html` <strong class="late-flag">${t('wo.outsideLimits')}</strong>` : null}</td></tr>`;
  return html`<section aria-labelledby="wo-yield"><h2 id="wo-yield">${t('wo.yield')}</h2>
    <p>${t(y.basis === 'components' ? 'wo.yieldComponents' : 'wo.yieldOrderQty')} ${limits}</p>
    <table class="yield"><thead><tr><th scope="col">${t('wo.phase')}</th><th scope="col">${t('wo.basis')}</th><th scope="col">${t('wo.theoretical')}</th>
      <th scope="col">${t('wo.actual')}</th><th scope="col">${t('wo.percentOfTheoretical')}</th></tr></thead>
    <tbody>${y.steps.map((/** @type {any} */ st) => row(st, st.step, st.step, false))}
      ${row(y, html`<strong>${t('wo.orderIntoLots')}</strong>`, 'order', y.inLimits === false)}</tbody></table>
  </section>`;
}

/** @param {{id: string}} props */
function Order({ id }) {
  const [order, setOrder] = useState(/** @type {any} */ (null));
  const [readings, setReadings] = useState(/** @type {any[]} */ ([]));
  const [yields, setYields] = useState(/** @type {any} */ (null));
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  useEffect(() => {
    setYields(null);
    // The yield on its own: if it cannot be read, the rest of the page still shows.
    get('/v1/work-orders/' + segment(id) + '/yield').then(setYields, (e) => setYields({ problem: describe(e) }));
    (async () => {
      try {
        const o = await get('/v1/work-orders/' + segment(id));
        setOrder(o);
        // Readings on each step's equipment while the step ran.
        const found = await readingsDuringSteps(o.state.steps);
        setReadings(found.map((r) => ({ step: r.step, equipment: r.equipment, ...r.payload, at: r.at })));
      } catch (e) {
        setProblem(describe(e));
      }
    })();
  }, [id]);
  if (problem) return html`<main><h1>${t('wo.order', { wo: id })}</h1><${ErrorText} error=${problem} /></main>`;
  if (!order) return html`<main><h1>${t('wo.order', { wo: id })}</h1><p>${t('common.loading')}</p></main>`;
  const s = order.state;
  const exceptions = order.history.filter((/** @type {any} */ r) => r.type.startsWith('exception.'));
  return html`<main class="order-detail">
    <h1>${t('wo.order', { wo: id })} <${Status} status=${s.status} /></h1>
    <p>${t('floor.orderLine', { material: s.material, qty: formatQty(s.qty) })} · ${t('col.due')}: ${formatTime(s.due)} · ${s.routing}</p>
    <section aria-labelledby="wo-steps"><h2 id="wo-steps">${t('wo.steps')}</h2>
      <table><thead><tr><th scope="col">${t('col.step')}</th><th scope="col">${t('wo.center')}</th><th scope="col">${t('col.status')}</th>
        <th scope="col">${t('col.equipment')}</th><th scope="col">${t('col.good')}</th><th scope="col">${t('col.scrap')}</th>
        <th scope="col">${t('wo.started')}</th><th scope="col">${t('wo.completed')}</th><th scope="col">${t('wo.operators')}</th><th scope="col">${t('wo.verifiedBy')}</th></tr></thead>
      <tbody>${s.steps.map((/** @type {any} */ st) => html`<tr data-step=${st.step}>
        <td>${st.step}</td><td>${st.workCenter}</td><td><${Status} status=${st.status} /></td><td>${st.equipment ?? ''}</td>
        <td class="num">${formatQty(st.good)}</td><td class="num">${formatQty(st.scrap)}</td>
        <td>${formatTime(st.startedAt)}</td><td>${formatTime(st.completedAt)}</td><td>${(st.operators ?? []).join(', ')}</td><td>${st.verifiedBy ?? ''}</td></tr>`)}</tbody></table>
    </section>
    <section aria-labelledby="wo-lots"><h2 id="wo-lots">${t('wo.lots')}</h2>
      <table><thead><tr><th scope="col">${t('wo.direction')}</th><th scope="col">${t('col.lot')}</th><th scope="col">${t('col.qty')}</th></tr></thead>
      <tbody>${(s.consumed ?? []).map((/** @type {any} */ l) => html`<tr><td>${t('wo.consumed')}</td><td><a href=${'#/audit/lots/' + encodeURIComponent(l.lot)}>${l.lot}</a></td><td class="num">${formatQty(l.qty)}</td></tr>`)}
        ${(s.produced ?? []).map((/** @type {any} */ l) => html`<tr><td>${t('wo.produced')}</td><td><a href=${'#/audit/lots/' + encodeURIComponent(l.lot)}>${l.lot}</a></td><td class="num">${formatQty(l.qty)}</td></tr>`)}</tbody></table>
    </section>
    ${yields?.problem ? html`<section aria-labelledby="wo-yield"><h2 id="wo-yield">${t('wo.yield')}</h2><${ErrorText} error=${yields.problem} /></section>`
      : yields && html`<${YieldTable} y=${yields} />`}
    <section aria-labelledby="wo-readings"><h2 id="wo-readings">${t('wo.readings', { n: readings.length })}</h2>
      ${readings.length > 0 && html`<table><thead><tr><th scope="col">${t('col.step')}</th><th scope="col">${t('col.equipment')}</th><th scope="col">${t('wo.param')}</th>
        <th scope="col">${t('wo.value')}</th><th scope="col">${t('wo.limits')}</th><th scope="col">${t('audit.when')}</th></tr></thead>
      <tbody>${readings.map((r) => html`<tr class=${r.inLimits === false ? 'late' : ''}><td>${r.step}</td><td>${r.equipment}</td><td>${r.param}</td>
        <td class="num">${formatQty(r.value)} ${r.unit ?? ''}</td><td>${r.min !== undefined || r.max !== undefined ? `${r.min ?? ''} … ${r.max ?? ''}` : ''}${r.inLimits === false ? html` <strong class="late-flag">${t('wo.outOfLimits')}</strong>` : null}</td>
        <td>${formatTime(r.at)}</td></tr>`)}</tbody></table>`}
    </section>
    <section aria-labelledby="wo-exceptions"><h2 id="wo-exceptions">${t('wo.exceptions', { n: exceptions.length })}</h2>
      <ul>${exceptions.map((/** @type {any} */ r) => html`<li>${r.type} · <a href=${'#/audit/exceptions/' + encodeURIComponent(r.payload.exception)}>${r.payload.exception}</a> · ${formatTime(r.occurredAt)} · ${r.actor}</li>`)}</ul>
    </section>
    <p><a href=${'#/audit/work-orders/' + encodeURIComponent(id)}>${t('wo.auditTrail')}</a></p>
  </main>`;
}

// KPIs for a date range (on-time rate, first-pass yield, scrap, exceptions and time to close,
// piecework per operator, a Pareto of defects) as charts and tables, and an SPC individuals chart of any
// equipment parameter with its control limits, the points outside them marked.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { get, segment, withQuery } from '../api.js';
import { ErrorText, describe } from '../components.js';
import { formatMoney, formatQty, formatTime, siteLocalToIso, siteTimeZone, t } from '../i18n.js';
import { canRead } from '../session.js';

const DAY = 86400000;

/** @param {Date} d */
const isoDay = (d) => d.toISOString().slice(0, 10);

export function Kpi() {
  return html`<main class="kpi">
    <h1>${t('kpi.title')}</h1>
    <${Dashboard} />
    <${Spc} />
  </main>`;
}

function Dashboard() {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [total, setTotal] = useState(/** @type {any} */ (null));
  const [days, setDays] = useState(/** @type {any[]} */ ([]));
  const [range, setRange] = useState(/** @type {{from: string, to: string} | null} */ (null));
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  const latest = useRef(0);

  // The range starts as the last seven days by the server's clock.
  useEffect(() => {
    (async () => {
      const site = await get('/v1/site');
      const end = new Date(Date.parse(site.now) + DAY);
      // Unless the person has already chosen a range.
      setTo((v) => v || isoDay(end));
      setFrom((v) => v || isoDay(new Date(end.getTime() - 7 * DAY)));
    })().catch((e) => setProblem(describe(e)));
  }, []);

  async function load() {
    if (!from || !to) return;
    // Only the newest range's answers are shown, whatever order they arrive in.
    const mine = ++latest.current;
    setProblem(null);
    try {
      // Days are the site's days: from its midnight to the next.
      /** @param {number} i */
      const midnight = (i) => siteLocalToIso(isoDay(new Date(Date.parse(from) + i * DAY)) + 'T00:00');
      const count = Math.min(62, Math.max(1, Math.round((Date.parse(to) - Date.parse(from)) / DAY)));
      const [all, ...daily] = await Promise.all([
        get(withQuery('/v1/kpis', { from: midnight(0), to: midnight(count) })),
        ...Array.from({ length: count }, (_, i) => get(withQuery('/v1/kpis', { from: midnight(i), to: midnight(i + 1) }))),
      ]);
      if (mine !== latest.current) return;
      setTotal(all);
      setDays(daily);
      setRange({ from: midnight(0), to: midnight(count) });
    } catch (e) {
      if (mine !== latest.current) return;
      setTotal(null);
      setProblem(describe(e));
    }
  }
  useEffect(() => {
    load();
  }, [from, to]);

  /** @param {number | undefined} x */
  const pct = (x) => (x === undefined ? '' : formatQty(Math.round(x * 1000) / 10) + ' %');
  return html`<section aria-labelledby="kpi-range">
    <h2 id="kpi-range">${t('kpi.range')}</h2>
    <div class="toolbar">
      <div class="field"><label for="kpi-from">${t('kpi.from')}</label>
        <input id="kpi-from" type="date" value=${from} onChange=${(/** @type {Event} */ ev) => setFrom(/** @type {HTMLInputElement} */ (ev.target).value)} /></div>
      <div class="field"><label for="kpi-to">${t('kpi.to')}</label>
        <input id="kpi-to" type="date" value=${to} onChange=${(/** @type {Event} */ ev) => setTo(/** @type {HTMLInputElement} */ (ev.target).value)} /></div>
    </div>
    <${ErrorText} error=${problem} id="kpi-error" />
    ${total && html`<div class="tiles">
      <div class="tile"><span>${t('kpi.onTime')}</span><strong data-kpi="onTimeRate">${pct(total.workOrders.onTimeRate)}</strong><small>${t('kpi.onTimeOf', { n: total.workOrders.onTime, of: total.workOrders.completed })}</small></div>
      <div class="tile"><span>${t('kpi.fpy')}</span><strong data-kpi="firstPassYield">${pct(total.production.firstPassYield)}</strong></div>
      <div class="tile"><span>${t('kpi.scrap')}</span><strong data-kpi="scrapRate">${pct(total.production.scrapRate)}</strong><small>${formatQty(total.production.scrap)}</small></div>
      <div class="tile"><span>${t('kpi.exceptions')}</span><strong data-kpi="raised">${total.exceptions.raised}</strong><small>${t('kpi.closedIn', { n: total.exceptions.closed, h: formatQty(total.exceptions.meanHoursToClose) })}</small></div>
    </div>
    <${Chart} title=${t('kpi.daily')} x=${days.map((d) => Date.parse(d.from) / 1000)}
      series=${[
        { label: t('kpi.onTime'), values: days.map((d) => d.workOrders.completed ? d.workOrders.onTimeRate * 100 : null), stroke: '#1f4e79' },
        { label: t('kpi.fpy'), values: days.map((d) => d.production.good + d.production.scrap ? d.production.firstPassYield * 100 : null), stroke: '#1d6b34' },
        { label: t('kpi.scrap'), values: days.map((d) => d.production.good + d.production.scrap ? d.production.scrapRate * 100 : null), stroke: '#a4161a' },
      ]} unit="%" />
    <h3>${t('kpi.piecework')}</h3>
    <table class="piecework">
      <thead><tr><th scope="col">${t('kpi.operator')}</th><th scope="col">${t('col.good')}</th><th scope="col">${t('col.scrap')}</th></tr></thead>
      <tbody>${(total.operators ?? []).map((/** @type {any} */ o) => html`<tr data-operator=${o.operator}><td>${o.operator}</td><td class="num">${formatQty(o.good)}</td><td class="num">${formatQty(o.scrap)}</td></tr>`)}</tbody>
    </table>`}
    ${range && html`<${Pareto} from=${range.from} to=${range.to} />`}
    ${range && html`<${Oee} from=${range.from} to=${range.to} />`}
    ${range && canRead('pay') && html`<${Pay} from=${range.from} to=${range.to} />`}
  </section>`;
}

/**
 * A GET of `path` with `query` that follows the range: the newest answer, or why it failed.
 * @param {string} path @param {Record<string, string>} query
 */
function useAnswer(path, query) {
  const [answer, setAnswer] = useState(/** @type {any} */ (null));
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  const key = JSON.stringify(query);
  useEffect(() => {
    let current = true;
    setProblem(null);
    setAnswer(null);  // never the last range's figures under the new range
    get(withQuery(path, query)).then(
      (a) => current && setAnswer(a),
      (e) => current && setProblem(describe(e)),
    );
    return () => { current = false; };
  }, [path, key]);
  return { answer, problem };
}

/** @param {number | null} x */
const ratio = (x) => (x === null || x === undefined ? '–' : formatQty(Math.round(x * 1000) / 10) + ' %');

/**
 * OEE of each equipment with an ideal rate over the range: availability, performance, quality
 * and their product, the time in each state and the reason it was down most.
 * @param {{from: string, to: string}} props
 */
function Oee({ from, to }) {
  const { answer, problem } = useAnswer('/v1/oee', { from, to });
  return html`<div class="oee">
    <h3 id="oee-title">${t('oee.title')}</h3>
    <${ErrorText} error=${problem} />
    ${answer && html`<table class="oee-rows" aria-labelledby="oee-title">
      <thead><tr><th scope="col">${t('col.equipment')}</th><th scope="col">${t('oee.oee')}</th><th scope="col">${t('oee.availability')}</th><th scope="col">${t('oee.performance')}</th><th scope="col">${t('oee.quality')}</th><th scope="col">${t('oee.running')}</th><th scope="col">${t('oee.down')}</th><th scope="col">${t('oee.planned')}</th><th scope="col">${t('oee.topReason')}</th></tr></thead>
      <tbody>${answer.equipment.map((/** @type {any} */ e) => html`<tr data-oee=${e.equipment}>
        <td>${e.name} (${e.equipment})</td><td class="num" data-oee-value>${ratio(e.oee)}</td><td class="num">${ratio(e.availability)}</td>
        <td class="num">${ratio(e.performance)}</td><td class="num">${ratio(e.quality)}</td>
        <td class="num">${formatQty(e.runningMinutes)}</td><td class="num">${formatQty(e.downMinutes)}</td><td class="num">${formatQty(e.plannedStopMinutes)}</td>
        <td>${e.downReasons[0]?.reason ?? ''}</td></tr>`)}</tbody>
    </table>
    <p class="hint">${t('oee.hint')}</p>`}
  </div>`;
}

/**
 * Piecework pay per operator over the range, at the piece rates in force (supervisors and
 * those who may read pay only).
 * @param {{from: string, to: string}} props
 */
function Pay({ from, to }) {
  const { answer, problem } = useAnswer('/v1/pay', { from, to });
  /** @param {number} amount */
  const money = (amount) => formatMoney(amount, answer?.currency ?? '');
  return html`<div class="pay">
    <h3 id="pay-title">${t('pay.title')}</h3>
    <${ErrorText} error=${problem} />
    ${answer && html`<table class="pay-rows" aria-labelledby="pay-title">
      <thead><tr><th scope="col">${t('kpi.operator')}</th><th scope="col">${t('col.good')}</th><th scope="col">${t('col.scrap')}</th><th scope="col">${t('pay.amount')}</th></tr></thead>
      <tbody>${answer.operators.map((/** @type {any} */ o) => html`<tr data-pay=${o.operator}><td>${o.operator}</td><td class="num">${formatQty(o.good)}</td><td class="num">${formatQty(o.scrap)}</td><td class="num" data-pay-amount>${money(o.amount)}</td></tr>`)}</tbody>
      <tfoot><tr data-pay-total><th scope="row">${t('pay.total')}</th><td class="num">${formatQty(answer.total.good)}</td><td class="num">${formatQty(answer.total.scrap)}</td><td class="num">${money(answer.total.amount)}</td></tr></tfoot>
    </table>
    ${answer.total.unratedGood > 0 && html`<p class="hint">${t('pay.unrated', { n: formatQty(answer.total.unratedGood) })}</p>`}`}
  </div>`;
}

/**
 * The Pareto of defects over the range: which few defects (or steps, equipment, shifts) make
 * most of the scrap, most first, with the running share.
 * @param {{from: string, to: string}} props
 */
function Pareto({ from, to }) {
  const [by, setBy] = useState('defect');
  const [pareto, setPareto] = useState(/** @type {any} */ (null));
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  useEffect(() => {
    let current = true;
    setProblem(null);
    get(withQuery('/v1/pareto', { from, to, by })).then(
      (p) => current && setPareto(p),
      (e) => current && setProblem(describe(e)),
    );
    return () => { current = false; };
  }, [from, to, by]);
  // The rows as the answer groups them (until the next answer arrives, the previous one's).
  const shown = pareto?.by ?? by;
  /** @param {any} row */
  const label = (row) => row.key === null ? t(shown === 'defect' ? 'pareto.unclassified' : 'pareto.none') : row.name ? `${row.name} (${row.key})` : row.key;
  return html`<div class="pareto">
    <h3 id="pareto-title">${t('pareto.title')}</h3>
    <div class="toolbar">
      <div class="field"><label for="pareto-by">${t('pareto.by')}</label>
        <select id="pareto-by" value=${by} onChange=${(/** @type {Event} */ ev) => setBy(/** @type {HTMLSelectElement} */ (ev.target).value)}>
          ${['defect', 'step', 'material', 'equipment', 'shift'].map((b) => html`<option value=${b}>${t('pareto.by.' + b)}</option>`)}
        </select></div>
    </div>
    <${ErrorText} error=${problem} />
    ${pareto && html`<p class="hint" data-pareto-scrap=${pareto.scrap}>${t('pareto.summary', { scrap: formatQty(pareto.scrap), classified: formatQty(pareto.classified), unclassified: formatQty(pareto.unclassified) })}</p>
    <table class="pareto-rows" aria-labelledby="pareto-title">
      <thead><tr><th scope="col">${t('pareto.by.' + shown)}</th><th scope="col">${t('col.scrap')}</th><th scope="col">${t('pareto.share')}</th><th scope="col">${t('pareto.cumulative')}</th>${shown !== 'defect' && html`<th scope="col">${t('pareto.defects')}</th>`}</tr></thead>
      <tbody>${pareto.rows.map((/** @type {any} */ r) => html`<tr data-pareto-key=${r.key ?? ''}>
        <td>${label(r)}</td>
        <td class="num">${formatQty(r.qty)}</td>
        <td><span class="bar" style=${`width:${(r.percent * 0.08).toFixed(2)}rem`}></span> ${formatQty(r.percent)} %</td>
        <td class="num">${formatQty(r.cumulativePercent)} %</td>
        ${shown !== 'defect' && html`<td>${(r.defects ?? []).map((/** @type {any} */ d) => `${d.name || d.defect} ${formatQty(d.qty)}`).join(' · ')}</td>`}
      </tr>`)}</tbody>
    </table>`}
  </div>`;
}

/**
 * A uPlot line chart.
 * @param {{title: string, x: number[], series: {label: string, values: (number | null)[], stroke: string, points?: boolean, dash?: number[], lineless?: boolean}[], unit?: string}} props
 */
function Chart({ title, x, series, unit = '' }) {
  const box = useRef(/** @type {HTMLDivElement | null} */ (null));
  useEffect(() => {
    if (!box.current || x.length === 0) return;
    const plot = new uPlot({
      title,
      width: Math.min(1100, box.current.clientWidth || 900),
      height: 280,
      // Time in the site's zone, labelled in the reader's language.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), siteTimeZone()),
      series: [
        { label: t('chart.time'), value: (/** @type {uPlot} */ _u, /** @type {number} */ v) => (v === null || v === undefined ? '' : formatTime(new Date(v * 1000).toISOString())) },
        ...series.map((s) => ({
          label: s.label, stroke: s.stroke, width: s.lineless ? 0 : 2, spanGaps: !s.lineless, dash: s.dash,
          points: s.points === false ? { show: false } : { show: true, size: 6, fill: s.stroke },
          value: (/** @type {uPlot} */ _u, /** @type {number | null} */ v) => (v === null || v === undefined ? '' : formatQty(Math.round(v * 100) / 100) + (unit ? ' ' + unit : '')),
        })),
      ],
      axes: [{}, { label: unit }],
    }, [x, ...series.map((s) => s.values)], box.current);
    return () => plot.destroy();
  }, [x, series]);
  return html`<div class="chart" ref=${box}></div>`;
}

function Spc() {
  const [equipment, setEquipment] = useState(/** @type {any[]} */ ([]));
  const [which, setWhich] = useState('');
  const [param, setParam] = useState('');
  const [readings, setReadings] = useState(/** @type {any[]} */ ([]));
  const [problem, setProblem] = useState(/** @type {any} */ (null));

  useEffect(() => {
    get(withQuery('/v1/equipment', { limit: 1000 })).then((r) => setEquipment(r.items), (e) => setProblem(describe(e)));
  }, []);
  useEffect(() => {
    if (!which) return;
    (async () => {
      // The whole log of the equipment where the person may read the log; else its newest
      // 100 records.
      /** @type {any[]} */
      let records = [];
      if (canRead('log')) {
        /** @type {number | null} */
        let from = 1;
        while (from !== null && records.length < 20000) {
          const page = await get(withQuery('/v1/log', { stream: 'equipment:' + which, from, limit: 5000 }));
          records = records.concat(page.records);
          from = page.next;
        }
      } else {
        records = (await get('/v1/equipment/' + segment(which))).history;
      }
      const found = records.filter((r) => r.type === 'reading.recorded').map((r) => ({ ...r.payload, at: r.payload.at ?? r.occurredAt }));
      setReadings(found);
      const params = [...new Set(found.map((r) => r.param))];
      setParam(params.includes(param) ? param : params[0] ?? '');
    })().catch((e) => setProblem(describe(e)));
  }, [which]);

  const points = readings.filter((r) => r.param === param);
  const values = points.map((r) => Number(r.value));
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : 0;
  const mr = n > 1 ? values.slice(1).reduce((a, v, i) => a + Math.abs(v - values[i]), 0) / (n - 1) : 0;
  // Individuals chart: limits at the mean ± 2.66 × the mean moving range (3 sigma).
  const ucl = mean + 2.66 * mr;
  const lcl = mean - 2.66 * mr;
  const outside = values.map((v) => (v > ucl || v < lcl ? v : null));
  const spec = points.find((r) => r.hasLimits);
  return html`<section aria-labelledby="spc-title">
    <h2 id="spc-title">${t('spc.title')}</h2>
    <div class="toolbar">
      <div class="field"><label for="spc-equipment">${t('col.equipment')}</label>
        <select id="spc-equipment" value=${which} onChange=${(/** @type {Event} */ ev) => setWhich(/** @type {HTMLSelectElement} */ (ev.target).value)}>
          <option value="">${t('spc.choose')}</option>
          ${equipment.map((e) => html`<option value=${e.equipment}>${e.equipment} · ${e.name}</option>`)}
        </select></div>
      <div class="field"><label for="spc-param">${t('wo.param')}</label>
        <select id="spc-param" value=${param} onChange=${(/** @type {Event} */ ev) => setParam(/** @type {HTMLSelectElement} */ (ev.target).value)}>
          ${[...new Set(readings.map((r) => r.param))].map((p) => html`<option value=${p}>${p}</option>`)}
        </select></div>
    </div>
    <${ErrorText} error=${problem} />
    ${which && n === 0 && html`<p>${t('spc.none')}</p>`}
    ${n > 0 && html`<p class="hint" data-spc-n=${n} data-spc-outside=${outside.filter((v) => v !== null).length}>
      ${t('spc.summary', { n, mean: formatQty(Math.round(mean * 1000) / 1000), ucl: formatQty(Math.round(ucl * 1000) / 1000), lcl: formatQty(Math.round(lcl * 1000) / 1000), out: outside.filter((v) => v !== null).length })}
      ${spec ? ' ' + t('spc.spec', { min: spec.min ?? '', max: spec.max ?? '' }) : ''}</p>
    <${Chart} title=${`${which} · ${param}`} x=${points.map((r) => Date.parse(r.at) / 1000)} unit=${points[0]?.unit ?? ''}
      series=${[
        { label: param, values, stroke: '#1f4e79' },
        { label: t('spc.ucl'), values: values.map(() => ucl), stroke: '#8a5a00', points: false, dash: [6, 4] },
        { label: t('spc.center'), values: values.map(() => mean), stroke: '#4a5560', points: false },
        { label: t('spc.lcl'), values: values.map(() => lcl), stroke: '#8a5a00', points: false, dash: [6, 4] },
        { label: t('spc.outside'), values: outside, stroke: '#a4161a', lineless: true },
      ]} />
    <p class="hint">${t('spc.last', { at: formatTime(points[n - 1].at) })}</p>`}
  </section>`;
}

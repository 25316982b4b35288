// The WIP, exception, expiry, training, deviation and CAPA boards. They follow the log live (GET /v1/stream) where the person's
// role may read it, and read the boards again whenever a record that changes them commits;
// otherwise they are read again every few seconds.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../api.js';
import { ErrorText, Status, describe, statusBadge } from '../components.js';
import { formatQty, formatTime, t } from '../i18n.js';
import { LogStream } from '../stream.js';

const BOARD_TYPES = [
  'wo.created', 'wo.released', 'wo.completed', 'wo.closed', 'wo.scheduled',
  'op.started', 'op.reported', 'op.completed', 'op.verified',
  'exception.raised', 'exception.assigned', 'exception.acknowledged', 'exception.resolved',
  'exception.closed', 'exception.escalated', 'reading.recorded', 'record.corrected',
  'lot.received', 'lot.split', 'lot.merged', 'lot.transformed', 'lot.consumed', 'lot.produced',
  'lot.shipped', 'lot.expired', 'qualification.granted', 'qualification.revoked',
  'deviation.opened', 'deviation.assessed', 'deviation.approved', 'capa.opened',
  'capa.completed', 'capa.checked',
];

/** @param {{live: boolean}} props whether this person may follow the log */
export function Boards({ live }) {
  const [wip, setWip] = useState(/** @type {any} */ (null));
  const [exceptions, setExceptions] = useState(/** @type {any} */ (null));
  const [expiry, setExpiry] = useState(/** @type {any} */ (null));
  const [training, setTraining] = useState(/** @type {any} */ (null));
  const [deviations, setDeviations] = useState(/** @type {any} */ (null));
  const [capa, setCapa] = useState(/** @type {any} */ (null));
  const [connected, setConnected] = useState(false);
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  const pending = useRef(/** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined));

  async function refresh() {
    try {
      const [w, x, e, q, d, c] = await Promise.all([
        get('/v1/boards/wip'), get('/v1/boards/exceptions'), get('/v1/boards/expiry'),
        get('/v1/boards/training'), get('/v1/boards/deviations'), get('/v1/boards/capa')]);
      setWip(w);
      setExceptions(x);
      setExpiry(e);
      setTraining(q);
      setDeviations(d);
      setCapa(c);
      setProblem(null);
    } catch (e) {
      setProblem(describe(e));
    }
  }

  useEffect(() => {
    refresh();
    if (!live) {
      const timer = setInterval(refresh, 5000);
      return () => clearInterval(timer);
    }
    // Records come in bursts (a commit group): read the boards once per burst.
    const stream = new LogStream(BOARD_TYPES, () => {
      clearTimeout(pending.current);
      pending.current = setTimeout(refresh, 50);
    }, (up) => {
      setConnected(up);
      if (up) refresh();
    });
    return () => {
      clearTimeout(pending.current);
      stream.close();
    };
  }, [live]);

  const late = t('boards.late');
  return html`<main class="boards">
    <h1>${t('boards.title')}</h1>
    <p class="live" role="status">${live ? (connected ? t('boards.live') : t('boards.reconnecting')) : t('boards.polling')}</p>
    <${ErrorText} error=${problem} />
    <section aria-labelledby="wip-title">
      <h2 id="wip-title">${t('boards.wip')} ${wip ? html`<span class="count">${wip.count}</span>` : null}</h2>
      ${wip && html`<table class="wip" data-count=${wip.count}>
        <thead><tr>
          <th scope="col">${t('col.wo')}</th><th scope="col">${t('col.material')}</th>
          <th scope="col">${t('col.qty')}</th><th scope="col">${t('col.status')}</th>
          <th scope="col">${t('col.step')}</th><th scope="col">${t('col.equipment')}</th>
          <th scope="col">${t('col.good')}</th><th scope="col">${t('col.scrap')}</th>
          <th scope="col">${t('col.due')}</th>
        </tr></thead>
        <tbody>${wip.workOrders.map((/** @type {any} */ w) => wipRow(w, late))}</tbody>
      </table>`}
    </section>
    <section aria-labelledby="exc-title">
      <h2 id="exc-title">${t('boards.exceptions')} ${exceptions ? html`<span class="count">${exceptions.open}</span>` : null}</h2>
      ${exceptions && html`<p>${t('boards.exceptionSummary', { closed: exceptions.closed, hours: formatQty(exceptions.meanHoursToClose) })}</p>`}
      ${exceptions && html`<table class="exceptions">
        <thead><tr>
          <th scope="col">${t('col.exception')}</th><th scope="col">${t('col.severity')}</th>
          <th scope="col">${t('col.status')}</th><th scope="col">${t('col.age')}</th>
          <th scope="col">${t('col.description')}</th><th scope="col">${t('col.where')}</th>
          <th scope="col">${t('col.assignee')}</th>
        </tr></thead>
        <tbody>${exceptions.exceptions.map((/** @type {any} */ x) => html`<tr key=${x.exception} data-exception=${x.exception}>
          <td><a href=${'#/audit/exceptions/' + encodeURIComponent(x.exception)}>${x.exception}</a></td>
          <td><span class=${'severity ' + x.severity}>${t('severity.' + x.severity)}</span></td>
          <td><${Status} status=${x.status} />
            ${x.overdue ? html` <strong class="late-flag">${t('boards.overdue')}</strong>` : null}
            ${x.escalated ? html` <strong class="late-flag">${t('boards.escalated')}</strong>` : null}</td>
          <td class="num">${t('boards.hours', { h: formatQty(x.ageHours) })}</td>
          <td>${x.description}</td><td>${[x.wo, x.equipment].filter(Boolean).join(' · ')}</td>
          <td>${x.assignee}</td>
        </tr>`)}</tbody>
      </table>`}
    </section>
    <section aria-labelledby="expiry-title">
      <h2 id="expiry-title">${t('boards.expiry')} ${expiry ? html`<span class="count">${expiry.expired + expiry.expiring}</span>` : null}</h2>
      ${expiry && html`<p>${t('boards.expirySummary', { expired: expiry.expired, expiring: expiry.expiring, days: expiry.withinDays })}</p>`}
      ${expiry && html`<table class="expiry">
        <thead><tr>
          <th scope="col">${t('col.lot')}</th><th scope="col">${t('col.material')}</th>
          <th scope="col">${t('col.status')}</th><th scope="col">${t('col.onHand')}</th>
          <th scope="col">${t('col.location')}</th><th scope="col">${t('col.expires')}</th>
        </tr></thead>
        <tbody>${expiry.lots.map((/** @type {any} */ l) => html`<tr key=${l.lot} data-lot=${l.lot} class=${l.expired ? 'late' : ''}>
          <td><a href=${'#/audit/lots/' + encodeURIComponent(l.lot)}>${l.lot}</a></td><td>${l.material}</td>
          <td>${statusBadge(l.status)}</td><td class="num">${formatQty(l.onHand)} ${l.uom}</td>
          <td>${l.location}</td>
          <td>${formatTime(l.expires)} ${l.expired
            ? html`<strong class="late-flag">${t('boards.expired')}</strong>`
            : t('boards.daysLeft', { days: formatQty(l.daysLeft) })}</td>
        </tr>`)}</tbody>
      </table>`}
    </section>
    <section aria-labelledby="training-title">
      <h2 id="training-title">${t('boards.training')} ${training ? html`<span class="count">${training.expiring + training.expired}</span>` : null}</h2>
      ${training && html`<p>${t('boards.trainingSummary', { valid: training.valid, expiring: training.expiring, expired: training.expired, revoked: training.revoked, days: training.withinDays })}</p>`}
      ${training && html`<table class="training">
        <thead><tr>
          <th scope="col">${t('col.person')}</th><th scope="col">${t('col.qualifiedFor')}</th>
          <th scope="col">${t('col.standing')}</th><th scope="col">${t('col.until')}</th>
          <th scope="col">${t('col.trainer')}</th><th scope="col">${t('col.procedure')}</th>
        </tr></thead>
        <tbody>${training.qualifications.map((/** @type {any} */ q) => html`<tr key=${q.seq} data-user=${q.user} class=${q.standing === 'valid' ? '' : 'late'}>
          <td>${q.user}</td>
          <td>${q.workCenter ? t('boards.workCenter', { wc: q.workCenter }) : t('boards.routingStep', { step: q.step, routing: q.routing })}</td>
          <td>${q.standing === 'valid' ? t('standing.valid') : html`<strong class="late-flag">${t('standing.' + q.standing)}</strong>`}</td>
          <td>${formatTime(q.until)} ${q.standing === 'valid' || q.standing === 'expiring' ? t('boards.daysLeft', { days: formatQty(q.daysLeft) }) : null}</td>
          <td>${q.trainer}</td><td>${q.procedure}</td>
        </tr>`)}</tbody>
      </table>`}
    </section>
    <section aria-labelledby="deviations-title">
      <h2 id="deviations-title">${t('boards.deviations')} ${deviations ? html`<span class="count">${deviations.open}</span>` : null}</h2>
      ${deviations && html`<p>${t('boards.deviationSummary', { critical: deviations.byClassification.critical, major: deviations.byClassification.major, minor: deviations.byClassification.minor, lots: deviations.lotsHeld })}</p>`}
      ${deviations && html`<table class="deviations">
        <thead><tr>
          <th scope="col">${t('col.deviation')}</th><th scope="col">${t('col.classification')}</th>
          <th scope="col">${t('col.status')}</th><th scope="col">${t('col.age')}</th>
          <th scope="col">${t('col.description')}</th><th scope="col">${t('col.exception')}</th>
          <th scope="col">${t('col.lotsHeld')}</th><th scope="col">${t('col.capa')}</th>
        </tr></thead>
        <tbody>${deviations.deviations.map((/** @type {any} */ d) => html`<tr key=${d.deviation} data-deviation=${d.deviation}>
          <td><a href=${'#/audit/deviations/' + encodeURIComponent(d.deviation)}>${d.deviation}</a></td>
          <td><span class=${'severity ' + (d.classification === 'minor' ? 'low' : d.classification === 'major' ? 'high' : 'critical')}>${t('classification.' + d.classification)}</span></td>
          <td>${statusBadge(d.status)}</td>
          <td class="num">${t('boards.days', { days: formatQty(d.ageDays) })}</td>
          <td>${d.description}</td>
          <td><a href=${'#/audit/exceptions/' + encodeURIComponent(d.exception)}>${d.exception}</a></td>
          <td class="num">${d.lotsHeld} / ${d.lots}</td>
          <td>${d.capa.join(', ')}</td>
        </tr>`)}</tbody>
      </table>`}
    </section>
    <section aria-labelledby="capa-title">
      <h2 id="capa-title">${t('boards.capa')} ${capa ? html`<span class="count">${capa.overdue}</span>` : null}</h2>
      ${capa && html`<p>${t('boards.capaSummary', { open: capa.open, overdue: capa.overdue, awaiting: capa.awaitingCheck })}</p>`}
      ${capa && html`<table class="capa">
        <thead><tr>
          <th scope="col">${t('col.capa')}</th><th scope="col">${t('col.deviation')}</th>
          <th scope="col">${t('col.kind')}</th><th scope="col">${t('col.action')}</th>
          <th scope="col">${t('col.owner')}</th><th scope="col">${t('col.status')}</th>
          <th scope="col">${t('col.due')}</th>
        </tr></thead>
        <tbody>${capa.actions.map((/** @type {any} */ c) => html`<tr key=${c.capa} data-capa=${c.capa} class=${c.overdue ? 'late' : ''}>
          <td><a href=${'#/audit/capa/' + encodeURIComponent(c.capa)}>${c.capa}</a></td>
          <td><a href=${'#/audit/deviations/' + encodeURIComponent(c.deviation)}>${c.deviation}</a></td>
          <td>${t('capaKind.' + c.kind)}</td><td>${c.action}</td><td>${c.owner}</td>
          <td>${statusBadge(c.status)}</td>
          <td>${formatTime(c.due)} ${c.overdue ? html`<strong class="late-flag">${t('boards.overdue')}</strong>` : c.status === 'open' ? t('boards.daysLeft', { days: formatQty(c.daysLeft) }) : null}</td>
        </tr>`)}</tbody>
      </table>`}
    </section>
  </main>`;
}

/**
 * One row of the WIP board: a plain function, not a component, since a board can have a
 * thousand of them.
 * @param {any} w
 * @param {string} late the word for late, in the reader's language
 */
function wipRow(w, late) {
  return html`<tr key=${w.wo} data-wo=${w.wo} class=${w.late ? 'late' : ''}>
    <td><a href=${'#/audit/work-orders/' + encodeURIComponent(w.wo)}>${w.wo}</a></td><td>${w.material}</td>
    <td class="num">${formatQty(w.qty)}</td><td>${statusBadge(w.status)}</td>
    <td>${w.step} ${w.step ? statusBadge(w.stepStatus) : null}</td><td>${w.equipment}</td>
    <td class="num good">${formatQty(w.good)}</td><td class="num">${formatQty(w.scrap)}</td>
    <td>${formatTime(w.due)} ${w.late ? html`<strong class="late-flag">${late}</strong>` : null}</td>
  </tr>`;
}

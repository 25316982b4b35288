// Batch record review by exception (21 CFR 211.192): the record of a work order with only its
// deviations raised (readings out of limits on its equipment while it ran, exceptions,
// corrections, entries made out of order), and QA's signed review of the order's records.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get, segment, withQuery } from '../api.js';
import { ErrorText, Field, SignatureDialog, describe } from '../components.js';
import { formatTime, t } from '../i18n.js';
import { readingsDuringSteps } from '../steps.js';

/**
 * Everything recorded about a work order and the deviations among it.
 * @param {string} id
 */
async function deviationsOf(id) {
  const order = await get('/v1/work-orders/' + segment(id));
  // The order's whole history, page by page, from its own stream and the index of others.
  const history = order.history;
  /** @type {{kind: string, seq: number, at: string, text: string}[]} */
  const found = [];
  const latest = new Map();
  for (const r of history) {
    if (r.type.startsWith('exception.raised')) found.push({ kind: 'exception', seq: r.seq, at: r.occurredAt, text: `${r.payload.exception}: ${r.payload.description}` });
    if (r.type === 'record.corrected') found.push({ kind: 'correction', seq: r.seq, at: r.recordedAt, text: `#${r.payload.seq} ${r.payload.changed.join(', ')}: ${r.payload.reason}` });
    if (r.corrected) found.push({ kind: 'corrected', seq: r.seq, at: r.occurredAt, text: r.type });
    // Out of order: it says it happened before something already recorded in its stream.
    const last = latest.get(r.stream);
    if (last && r.occurredAt && Date.parse(r.occurredAt) < Date.parse(last)) found.push({ kind: 'late', seq: r.seq, at: r.occurredAt, text: `${r.type} (${t('review.recordedAt', { at: formatTime(r.recordedAt) })})` });
    if (r.occurredAt && (!last || Date.parse(r.occurredAt) > Date.parse(last))) latest.set(r.stream, r.occurredAt);
  }
  for (const r of await readingsDuringSteps(order.state.steps)) {
    if (r.payload.inLimits !== false) continue;
    found.push({ kind: 'reading', seq: r.seq, at: r.at, text: `${r.equipment} ${r.payload.param} ${r.payload.value} ${r.payload.unit ?? ''} (${r.payload.min} … ${r.payload.max})` });
  }
  found.sort((a, b) => a.seq - b.seq);
  // What the review signs: the order's records, not the signatures among them (a signature is
  // not signed again).
  const seqs = history.filter((/** @type {any} */ r) => r.type !== 'signature.signed').map((/** @type {any} */ r) => r.seq);
  return { order, found, seqs };
}

/** @param {{user: string}} props */
export function Review({ user }) {
  const [id, setId] = useState('');
  const [result, setResult] = useState(/** @type {any} */ (null));
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  const [signing, setSigning] = useState(false);
  const [done, setDone] = useState('');

  async function load() {
    setProblem(null);
    setDone('');
    try {
      setResult(await deviationsOf(id.trim()));
    } catch (e) {
      setResult(null);
      setProblem(describe(e));
    }
  }

  return html`<section aria-labelledby="review-title">
    <h2 id="review-title">${t('review.title')}</h2>
    <div class="inline">
      <${Field} id="review-wo" label=${t('col.wo')} value=${id} onInput=${setId} onEnter=${load} />
      <button onClick=${load} disabled=${!id}>${t('review.open')}</button>
    </div>
    <${ErrorText} error=${problem} id="review-error" />
    ${result && html`<div class="review">
      <p>${t('review.summary', { records: result.seqs.length, deviations: result.found.length })}</p>
      ${result.found.length === 0 ? html`<p class="done">${t('review.clean')}</p>` : html`<table class="deviations">
        <thead><tr><th scope="col">${t('review.kind')}</th><th scope="col">#</th><th scope="col">${t('audit.when')}</th><th scope="col">${t('col.description')}</th></tr></thead>
        <tbody>${result.found.map((/** @type {any} */ d) => html`<tr data-kind=${d.kind}><td>${t('review.kind.' + d.kind)}</td>
          <td><a href=${'#/audit/work-orders/' + encodeURIComponent(result.order.state.wo)}>${d.seq}</a></td><td>${formatTime(d.at)}</td><td>${d.text}</td></tr>`)}</tbody></table>`}
      <button class="primary" onClick=${() => setSigning(true)}>${t('review.sign')}</button>
      ${done && html`<p class="done" role="status">${done}</p>`}
    </div>`}
    ${signing && result && html`<${SignatureDialog} records=${result.seqs} meanings=${['reviewed', 'approved']} user=${user}
      onCancel=${() => setSigning(false)}
      onDone=${(/** @type {any} */ r) => { setSigning(false); setDone(t('review.signed', { name: r.signature.name, at: formatTime(r.signature.signedAt), n: result.seqs.length })); }} />`}
  </section>`;
}

/**
 * Second-person verification: completed steps nobody has verified yet, in the orders still
 * open, each verified by someone other than who performed it (the server refuses the
 * performer), with the signature the policy asks for.
 * @param {{user: string, policyOf: (type: string) => any}} props
 */
export function Verification({ user, policyOf }) {
  const [steps, setSteps] = useState(/** @type {any[] | null} */ (null));
  const [signing, setSigning] = useState(/** @type {any} */ (null));
  const [done, setDone] = useState('');
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  async function load() {
    try {
      const pages = await Promise.all(['inProgress', 'completed'].map((status) => get(withQuery('/v1/work-orders', { status, limit: 1000 }))));
      setSteps(pages.flatMap((p) => p.items).flatMap((o) => o.steps
        .filter((/** @type {any} */ s) => s.status === 'completed' && !s.verifiedBy)
        .map((/** @type {any} */ s) => ({ wo: o.wo, ...s }))));
    } catch (e) {
      setProblem(describe(e));
    }
  }
  useEffect(() => {
    load();
  }, []);
  if (steps === null) return null;
  return html`<section aria-labelledby="verify-title">
    <h2 id="verify-title">${t('verify.title')} <span class="count">${steps.length}</span></h2>
    <${ErrorText} error=${problem} />
    ${done && html`<p class="done" role="status">${done}</p>`}
    <table class="verify">
      <thead><tr><th scope="col">${t('col.wo')}</th><th scope="col">${t('col.step')}</th><th scope="col">${t('wo.operators')}</th>
        <th scope="col">${t('col.good')}</th><th scope="col">${t('wo.completed')}</th><th scope="col">${t('col.decision')}</th></tr></thead>
      <tbody>${steps.slice(0, 50).map((s) => html`<tr data-wo=${s.wo} data-step=${s.step}>
        <td>${s.wo}</td><td>${s.step}</td><td>${(s.operators ?? []).join(', ')}</td><td class="num">${s.good}</td><td>${formatTime(s.completedAt)}</td>
        <td><button disabled=${(s.operators ?? []).includes('user:' + user)} onClick=${() => setSigning({ type: 'op.verify', commandId: 'ui-' + crypto.randomUUID(), data: { wo: s.wo, step: s.step, note: t('verify.note') } })}>${t('verify.verify')}</button></td></tr>`)}</tbody>
    </table>
    ${signing && html`<${SignatureDialog} command=${signing} meanings=${policyOf('op.verify')?.meanings ?? ['verified']} user=${user}
      onCancel=${() => setSigning(null)}
      onDone=${() => { setDone(t('verify.done', { wo: signing.data.wo, step: signing.data.step })); setSigning(null); load(); }} />`}
  </section>`;
}

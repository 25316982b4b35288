// The audit trail of a lot, work order, exception, piece of equipment, material or party:
// its state, then every record about it with who, what, when and why, the signatures with
// their manifestation, corrections, and each record's hash and the hash it chains to. A piece
// of equipment also shows its logbook (21 CFR 211.182): cleanings, calibrations, maintenance
// and each use.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, segment } from '../api.js';
import { canRead } from '../session.js';
import { canCheck, checkRecords } from '../chain.js';
import { ErrorText, Field, describe } from '../components.js';
import { formatTime, t } from '../i18n.js';

export const COLLECTIONS = ['lots', 'work-orders', 'exceptions', 'deviations', 'capa', 'equipment', 'materials', 'parties', 'users', 'plugins'];

/**
 * The streams whose records make up the audit trail of a person or a plugin (they are not
 * entities with a state of their own): a person's account records and the calls refused
 * them; a plugin's refused calls.
 * @param {string} collection
 * @param {string} id
 */
function streamsOf(collection, id) {
  if (collection === 'users') return [`user:${id}`, `access:user:${id}`];
  if (collection === 'plugins') return [`access:plugin:${id}`];
  return null;
}

/**
 * A person's or plugin's trail read from the log, shaped as an entity (state and history).
 * @param {string} collection
 * @param {string} id
 */
async function trailOf(collection, id) {
  const streams = /** @type {string[]} */ (streamsOf(collection, id));
  const pages = await Promise.all(streams.map((s) => get(`/v1/log?stream=${encodeURIComponent(s)}&limit=1000`)));
  const history = pages.flatMap((p) => p.records).sort((a, b) => a.seq - b.seq);
  /** @type {Record<string, unknown>} */
  let state = collection === 'users' ? { user: id } : { plugin: id };
  if (collection === 'users') {
    // The account as its records say (name, roles, disabled), and as administrators see it
    // (locked, password set) for those who may read identities.
    for (const r of history) {
      if (r.type === 'user.added') state = { ...state, name: r.payload.name, roles: r.payload.roles.join(', ') };
      if (r.type === 'user.roles_set') state = { ...state, roles: r.payload.roles.join(', ') };
      if (r.type === 'user.disabled') state = { ...state, disabled: true };
      if (r.type === 'user.enabled') state = { ...state, disabled: false };
    }
    if (canRead('identity')) {
      const me = (await get('/v1/users')).users.find((/** @type {any} */ u) => u.user === id);
      if (me) state = { ...me, roles: me.roles.join(', ') };
    }
  }
  if (history.length === 0) {
    throw new ApiError(404, 'not_found', `no records of ${streams.join(' or ')}`, 'id');
  }
  return { state, history };
}

/**
 * @param {{collection: string, id: string, go: (hash: string) => void}} props
 */
export function Audit({ collection, id, go }) {
  const [kind, setKind] = useState(collection || 'lots');
  const [input, setInput] = useState(id);
  const [entity, setEntity] = useState(/** @type {any} */ (null));
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  const [originals, setOriginals] = useState(/** @type {Record<number, any>} */ ({}));
  const [result, setResult] = useState(/** @type {import('../chain.js').CheckResult | null} */ (null));
  const [checkProblem, setCheckProblem] = useState('');
  const checked = result?.records ?? null;
  const cp = result?.checkpoint ?? null;

  // Every record shown is rechecked here, from its bytes, and proven in a signed checkpoint.
  useEffect(() => {
    setResult(null);
    setCheckProblem('');
    if (!entity || !canCheck()) return;
    // A check still running for the entity shown before must not report on this one.
    let current = true;
    get('/v1/site').then((site) => checkRecords(entity.history, site.publicKey)).then(
      (r) => { if (current) setResult(r); },
      (e) => { if (!current) return; const d = describe(e); setCheckProblem(`${d.text} ${d.detail}`); });
    return () => { current = false; };
  }, [entity]);

  // A corrected record older than the history shown is read by its seq.
  useEffect(() => {
    if (!entity) return;
    const shown = new Set(entity.history.map((/** @type {any} */ h) => h.seq));
    const missing = entity.history.filter((/** @type {any} */ h) => h.type === 'record.corrected' && !shown.has(h.payload.seq)).map((/** @type {any} */ h) => h.payload.seq);
    Promise.all(missing.map((/** @type {number} */ seq) => get('/v1/records/' + seq).then((x) => [seq, x.record.payload]))).then(
      (pairs) => setOriginals(Object.fromEntries(pairs)), () => {});
  }, [entity]);

  useEffect(() => {
    setInput(id);
    setKind(collection || 'lots');
    setEntity(null);
    setProblem(null);
    if (!id) return;
    (streamsOf(collection, id) ? trailOf(collection, id) : get(`/v1/${collection}/${segment(id)}`)).then(setEntity, (e) => setProblem(describe(e)));
  }, [collection, id]);

  /**
   * The payload in force before a correction: the previous correction of the same record, or
   * the record itself.
   * @param {any} r a record.corrected
   */
  function before(r) {
    const history = entity?.history ?? [];
    const earlier = history.filter((/** @type {any} */ h) => h.seq < r.seq && ((h.type === 'record.corrected' && h.payload.seq === r.payload.seq) || h.seq === r.payload.seq));
    const last = earlier[earlier.length - 1];
    if (!last) return originals[r.payload.seq] ?? null;
    return last.type === 'record.corrected' && last.seq !== r.payload.seq ? last.payload.payload : last.payload;
  }

  return html`<main class="audit">
    <h1>${t('audit.title')}</h1>
    <form class="lookup" onSubmit=${(/** @type {Event} */ ev) => { ev.preventDefault(); go(`#/audit/${kind}/${encodeURIComponent(input.trim())}`); }}>
      <div class="field">
        <label for="audit-kind">${t('audit.kind')}</label>
        <select id="audit-kind" value=${kind} onChange=${(/** @type {Event} */ ev) => setKind(/** @type {HTMLSelectElement} */ (ev.target).value)}>
          ${COLLECTIONS.map((c) => html`<option value=${c}>${t('kind.' + c)}</option>`)}
        </select>
      </div>
      <${Field} id="audit-id" label=${t('audit.id')} value=${input} onInput=${setInput} />
      <button type="submit" class="primary">${t('audit.show')}</button>
    </form>
    <${ErrorText} error=${problem} id="audit-error" />
    ${entity && html`<section aria-labelledby="audit-state">
      <h2 id="audit-state">${t('audit.state', { kind: t('kind.' + collection), id })}</h2>
      <dl class="state">${Object.entries(entity.state).filter(([, v]) => typeof v !== 'object').map(([k, v]) => html`<dt>${k}</dt><dd>${String(v)}</dd>`)}</dl>
    </section>
    ${collection === 'equipment' && html`<${Logbook} id=${id} />`}
    <section aria-labelledby="audit-history">
      <h2 id="audit-history">${t('audit.history', { n: entity.history.length })}</h2>
      <p class=${'hint chain-summary' + (checkProblem ? ' check-failed' : '')} data-checked=${checked ? [...checked.values()].filter((c) => c.ok).length : ''} data-failed=${checked ? [...checked.values()].filter((c) => !c.ok).length : ''}
        data-signed=${cp ? String(cp.signed) : ''} title=${cp?.error ?? ''}>
        ${!canCheck() ? t('audit.cannotCheck')
          : checkProblem ? t('audit.checkFailed', { problem: checkProblem })
          : !checked ? t('audit.checking')
          : ![...checked.values()].every((c) => c.ok) ? t('audit.someFailed', { n: [...checked.values()].filter((c) => !c.ok).length })
          : !cp ? t('audit.allChecked', { n: checked.size })
          : cp.signed === true ? t('audit.allVerified', { n: checked.size, size: cp.size, key: cp.keyId })
          : cp.signed === null ? t('audit.noEd25519', { n: checked.size, size: cp.size })
          : t('audit.badCheckpoint', { size: cp.size, key: cp.keyId })}</p>
      <ol class="history">${[...entity.history].reverse().map((/** @type {any} */ r) => html`<li key=${r.seq} data-seq=${r.seq} class=${r.corrected ? 'corrected' : ''}>
        <header>
          <strong>${r.type}</strong> <span class="seq">#${r.seq}</span>
          ${r.corrected ? html`<span class="status s-corrected">${t('audit.corrected')}</span>` : null}
          ${r.late ? html`<span class="status s-late">${t('audit.late')}</span>` : null}
        </header>
        <dl>
          <dt>${t('audit.who')}</dt><dd>${r.actor}</dd>
          <dt>${t('audit.when')}</dt><dd>${r.occurredAt ? html`${formatTime(r.occurredAt)} <small>(${t('audit.recorded', { at: formatTime(r.recordedAt) })})</small>` : t('audit.recorded', { at: formatTime(r.recordedAt) })}</dd>
          ${r.payload?.reason ? html`<dt>${t('audit.why')}</dt><dd>${r.payload.reason}</dd>` : null}
          ${r.late ? html`<dt>${t('audit.lateWhy')}</dt><dd class="late-reason">${r.late.reason}</dd>` : null}
          ${r.type === 'record.corrected' ? html`<dt>${t('audit.what')}</dt><dd><${Correction} r=${r} before=${before(r)} /></dd>`
            : html`<dt>${t('audit.what')}</dt><dd><code>${JSON.stringify(r.payload)}</code></dd>`}
          ${(r.signatures ?? []).map((/** @type {any} */ s) => html`<dt>${t('audit.signature')}</dt>
            <dd class="signature-line">${t('audit.signedBy', { name: s.name, signer: s.signer, meaning: t('meaning.' + s.meaning), at: formatTime(s.signedAt) })}</dd>`)}
          <dt>${t('audit.hash')}</dt><dd><code class="hash">${r.hash}</code>
            ${checked?.get(r.seq) ? (checked.get(r.seq)?.ok ? html` <span class="status s-resolved chain-ok">${t(cp?.signed === true ? 'audit.verified' : 'audit.recomputed')}</span>`
              : html` <strong class="late-flag chain-bad">${t('audit.mismatch', { what: checked.get(r.seq)?.problem ?? '' })}</strong>`) : null}</dd>
          <dt>${t('audit.prevHash')}</dt><dd><code class="hash">${r.prevHash}</code></dd>
        </dl>
      </li>`)}</ol>
    </section>`}
  </main>`;
}

/**
 * What a logbook entry says beyond who and when.
 * @param {any} e an entry of `GET /v1/equipment/{id}/logbook`
 */
function entryDetail(e) {
  if (e.event === 'cleaned') return e.procedure;
  if (e.event === 'calibrated') return t('logbook.calibratedDetail', { until: formatTime(e.until), certificate: e.certificate });
  if (e.event === 'status') return `${t('logbook.service.' + e.status)}: ${e.reason}`;
  if (e.event === 'started' || e.event === 'completed' || e.event === 'cleared') return t('logbook.useDetail', { wo: e.wo, step: e.step, material: e.material });
  if (e.event === 'exception') return `${e.exception}: ${e.description ?? ''}`;
  return '';
}

/**
 * The equipment's logbook: its standing now and its entries, newest first.
 * @param {{id: string}} props
 */
function Logbook({ id }) {
  const [book, setBook] = useState(/** @type {any} */ (null));
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  useEffect(() => {
    setBook(null);
    setProblem(null);
    get(`/v1/equipment/${segment(id)}/logbook`).then(setBook, (e) => setProblem(describe(e)));
  }, [id]);
  return html`<section aria-labelledby="audit-logbook">
    <h2 id="audit-logbook">${t('logbook.title', { n: book?.count ?? 0 })}</h2>
    <${ErrorText} error=${problem} />
    ${book && html`<dl class="state logbook-standing">
        <dt>${t('logbook.serviceLabel')}</dt><dd>${t('logbook.service.' + book.service)}</dd>
        <dt>${t('logbook.cleanedLabel')}</dt><dd>${book.cleanedAt ? t('logbook.cleanedDetail', { at: formatTime(book.cleanedAt), by: book.cleanedBy, procedure: book.cleanProcedure }) : t('logbook.never')}</dd>
        <dt>${t('logbook.calibratedLabel')}</dt><dd>${book.calibratedUntil ? formatTime(book.calibratedUntil) : t('logbook.never')}</dd>
      </dl>
      <table class="logbook"><thead><tr><th scope="col">${t('audit.when')}</th><th scope="col">${t('logbook.event')}</th>
        <th scope="col">${t('audit.who')}</th><th scope="col">${t('logbook.detail')}</th></tr></thead>
      <tbody>${[...book.entries].reverse().map((/** @type {any} */ e) => html`<tr data-seq=${e.seq} data-event=${e.event}>
        <td>${formatTime(e.at)}</td><td>${t('logbook.event.' + e.event)}</td><td>${e.actor}</td><td>${entryDetail(e)}</td></tr>`)}</tbody></table>`}
  </section>`;
}

/**
 * A correction: which fields changed, from what to what, and why.
 * @param {{r: any, before: any}} props
 */
function Correction({ r, before }) {
  return html`<div class="correction">
    <p>${t('audit.correction', { seq: r.payload.seq, reason: r.payload.reason })}</p>
    <table class="changes">
      <thead><tr><th scope="col">${t('audit.field')}</th><th scope="col">${t('audit.old')}</th><th scope="col">${t('audit.new')}</th></tr></thead>
      <tbody>${r.payload.changed.map((/** @type {string} */ f) => html`<tr data-field=${f}><td>${f}</td>
        <td class="old">${before ? JSON.stringify(before[f]) : ''}</td><td class="new">${JSON.stringify(r.payload.payload[f])}</td></tr>`)}</tbody>
    </table>
  </div>`;
}

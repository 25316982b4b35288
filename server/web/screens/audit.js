// The audit trail of a lot, work order, exception, piece of equipment, material or party:
// its state, then every record about it with who, what, when and why, the signatures with
// their manifestation, corrections, and each record's hash and the hash it chains to.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get, segment } from '../api.js';
import { ErrorText, Field, describe } from '../components.js';
import { formatTime, t } from '../i18n.js';

export const COLLECTIONS = ['lots', 'work-orders', 'exceptions', 'equipment', 'materials', 'parties'];

/**
 * @param {{collection: string, id: string, go: (hash: string) => void}} props
 */
export function Audit({ collection, id, go }) {
  const [kind, setKind] = useState(collection || 'lots');
  const [input, setInput] = useState(id);
  const [entity, setEntity] = useState(/** @type {any} */ (null));
  const [problem, setProblem] = useState(/** @type {any} */ (null));

  useEffect(() => {
    setInput(id);
    setKind(collection || 'lots');
    setEntity(null);
    setProblem(null);
    if (!id) return;
    get(`/v1/${collection}/${segment(id)}`).then(setEntity, (e) => setProblem(describe(e)));
  }, [collection, id]);

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
    <section aria-labelledby="audit-history">
      <h2 id="audit-history">${t('audit.history', { n: entity.history.length })}</h2>
      <ol class="history">${[...entity.history].reverse().map((/** @type {any} */ r) => html`<li key=${r.seq} data-seq=${r.seq} class=${r.corrected ? 'corrected' : ''}>
        <header>
          <strong>${r.type}</strong> <span class="seq">#${r.seq}</span>
          ${r.corrected ? html`<span class="status s-corrected">${t('audit.corrected')}</span>` : null}
        </header>
        <dl>
          <dt>${t('audit.who')}</dt><dd>${r.actor}</dd>
          <dt>${t('audit.when')}</dt><dd>${formatTime(r.occurredAt)} <small>(${t('audit.recorded', { at: formatTime(r.recordedAt) })})</small></dd>
          ${r.payload?.reason ? html`<dt>${t('audit.why')}</dt><dd>${r.payload.reason}</dd>` : null}
          <dt>${t('audit.what')}</dt><dd><code>${JSON.stringify(r.payload)}</code></dd>
          ${(r.signatures ?? []).map((/** @type {any} */ s) => html`<dt>${t('audit.signature')}</dt>
            <dd class="signature-line">${t('audit.signedBy', { name: s.name, signer: s.signer, meaning: t('meaning.' + s.meaning), at: formatTime(s.signedAt) })}</dd>`)}
          <dt>${t('audit.hash')}</dt><dd><code class="hash">${r.hash}</code></dd>
          <dt>${t('audit.prevHash')}</dt><dd><code class="hash">${r.prevHash}</code></dd>
        </dl>
      </li>`)}</ol>
    </section>`}
  </main>`;
}

// QA: the lots that wait for a decision (awaiting release, on hold), and the decision itself.
// A command the signature policy names goes through the e-signature dialog; others (a hold)
// are submitted directly with their reason.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get, newCommandId, submit, withQuery } from '../api.js';
import { ErrorText, Field, SignatureDialog, Status, describe } from '../components.js';
import { formatQty, formatTime, t } from '../i18n.js';

/** @typedef {{commandType: string, required: boolean, meanings: string[], criticalOnly: boolean}} Policy */

/**
 * @param {{user: string}} props the signed-in person's id
 */
export function Qa({ user }) {
  const [lots, setLots] = useState(/** @type {any[] | null} */ (null));
  const [policies, setPolicies] = useState(/** @type {Policy[]} */ ([]));
  const [action, setAction] = useState(/** @type {{type: string, lot: any} | null} */ (null));
  const [reason, setReason] = useState('');
  const [signing, setSigning] = useState(/** @type {{command: import('../api.js').Command, meanings: string[]} | null} */ (null));
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  const [done, setDone] = useState('');

  async function refresh() {
    try {
      const [awaiting, held, policy] = await Promise.all([
        get(withQuery('/v1/lots', { status: 'awaitingRelease', limit: 1000 })),
        get(withQuery('/v1/lots', { status: 'held', limit: 1000 })),
        get('/v1/signatures/policy'),
      ]);
      setLots([...awaiting.items, ...held.items]);
      setPolicies(policy.policies);
    } catch (e) {
      setProblem(describe(e));
    }
  }
  useEffect(() => {
    refresh();
  }, []);

  /** @param {string} type */
  const policyOf = (type) => policies.find((p) => p.commandType === type && p.required);

  /**
   * @param {string} type lot.release, lot.hold or lot.reject
   * @param {any} lot
   */
  async function decide(type, lot) {
    setProblem(null);
    setDone('');
    /** @type {Record<string, unknown>} */
    const data = { lot: lot.lot };
    if (type !== 'lot.release') data.reason = reason;
    const command = { type, commandId: newCommandId(), data };
    const policy = policyOf(type);
    if (policy) {
      setSigning({ command, meanings: policy.meanings });
      return;
    }
    try {
      await submit(command);
      finish(type, lot.lot);
    } catch (e) {
      setProblem(describe(e));
    }
  }

  /**
   * @param {string} type
   * @param {string} lot
   */
  function finish(type, lot) {
    setAction(null);
    setReason('');
    setDone(t('qa.done.' + type, { lot }));
    refresh();
  }

  return html`<main class="qa">
    <h1>${t('qa.title')}</h1>
    <${ErrorText} error=${problem} id="qa-error" />
    ${done && html`<p class="done" role="status">${done}</p>`}
    <section aria-labelledby="qa-lots">
      <h2 id="qa-lots">${t('qa.waiting')} ${lots ? html`<span class="count">${lots.length}</span>` : null}</h2>
      ${lots && lots.length === 0 && html`<p>${t('qa.none')}</p>`}
      ${lots && lots.length > 0 && html`<table class="lots">
        <thead><tr>
          <th scope="col">${t('col.lot')}</th><th scope="col">${t('col.material')}</th>
          <th scope="col">${t('col.onHand')}</th><th scope="col">${t('col.status')}</th>
          <th scope="col">${t('col.supplier')}</th><th scope="col">${t('col.decision')}</th>
        </tr></thead>
        <tbody>${lots.map((l) => html`<tr key=${l.lot} data-lot=${l.lot}>
          <td><a href=${'#/audit/lots/' + encodeURIComponent(l.lot)}>${l.lot}</a></td><td>${l.material}</td>
          <td class="num">${formatQty(l.onHand)} ${l.uom}</td><td><${Status} status=${l.status} /></td>
          <td>${l.supplier ?? ''} ${l.supplierLot ?? ''}</td>
          <td class="buttons">
            <button class="primary" onClick=${() => decide('lot.release', l)}>${t('qa.release')}</button>
            ${l.status !== 'held' ? html`<button onClick=${() => setAction({ type: 'lot.hold', lot: l })}>${t('qa.hold')}</button>` : null}
            <button class="danger" onClick=${() => setAction({ type: 'lot.reject', lot: l })}>${t('qa.reject')}</button>
          </td>
        </tr>`)}</tbody>
      </table>`}
    </section>
    ${action && html`<section class="action" aria-labelledby="qa-reason">
      <h2 id="qa-reason">${t('qa.reasonFor.' + action.type, { lot: action.lot.lot })}</h2>
      <${Field} id="reason" label=${t('qa.reason')} value=${reason} onInput=${setReason} autofocus=${true}
        onEnter=${() => reason && decide(action.type, action.lot)} />
      <div class="actions">
        <button class="secondary" onClick=${() => { setAction(null); setReason(''); }}>${t('common.cancel')}</button>
        <button class="primary" disabled=${!reason} onClick=${() => decide(action.type, action.lot)}>${t('qa.submit.' + action.type)}</button>
      </div>
    </section>`}
    ${signing && html`<${SignatureDialog} command=${signing.command} meanings=${signing.meanings} user=${user}
      onCancel=${() => setSigning(null)}
      onDone=${(/** @type {any} */ r) => {
        const c = signing.command;
        setSigning(null);
        finish(c.type, String(c.data.lot));
        setDone(t('qa.signed', { lot: String(c.data.lot), name: r.signature.name, meaning: t('meaning.' + r.signature.meaning), at: formatTime(r.signature.signedAt) }));
      }} />`}
  </main>`;
}

// QA: the lots that wait for a decision (awaiting release, on hold), and the decision itself.
// A command the signature policy names goes through the e-signature dialog; others (a hold)
// are submitted directly with their reason.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get, newCommandId, submit, withQuery } from '../api.js';
import { ErrorText, Field, SignatureDialog, Status, describe, fieldName } from '../components.js';
import { formatQty, formatTime, t } from '../i18n.js';
import { Review, Verification } from './review.js';

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
   * Submits `command`, or opens the signature dialog when the policy asks for a signature.
   * Resolves true when it was recorded unsigned.
   * @param {import('../api.js').Command} command
   */
  async function submitOrSign(command) {
    setProblem(null);
    setDone('');
    const policy = policyOf(command.type);
    if (policy) {
      setSigning({ command, meanings: policy.meanings });
      return false;
    }
    await submit(command);
    setDone(t('qa.recorded', { type: command.type }));
    return true;
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
    <${Inspection} submitOrSign=${submitOrSign} />
    <${Verification} user=${user} policyOf=${policyOf} />
    <${Review} user=${user} />
    ${signing && html`<${SignatureDialog} command=${signing.command} meanings=${signing.meanings} user=${user}
      onCancel=${() => setSigning(null)}
      onDone=${(/** @type {any} */ r) => {
        const c = signing.command;
        setSigning(null);
        if (c.type.startsWith('lot.')) {
          finish(c.type, String(c.data.lot));
          setDone(t('qa.signed', { lot: String(c.data.lot), name: r.signature.name, meaning: t('meaning.' + r.signature.meaning), at: formatTime(r.signature.signedAt) }));
        } else {
          setDone(t('qa.signedOther', { type: c.type, name: r.signature.name, at: formatTime(r.signature.signedAt) }));
        }
      }} />`}
  </main>`;
}

/**
 * Entry of an inspection result, of a lot or of a work order's step.
 * @param {{submitOrSign: (c: import('../api.js').Command) => Promise<boolean>}} props
 */
function Inspection({ submitOrSign }) {
  const [f, setF] = useState(/** @type {Record<string, string>} */ ({ lot: '', wo: '', step: '', characteristic: '', value: '', min: '', max: '', unit: '' }));
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  /** @param {string} k */
  const set = (k) => (/** @type {string} */ v) => setF({ ...f, [k]: v });
  /** @param {string} k */
  const err = (k) => (problem && problem.field === k ? problem : null);
  async function record() {
    setProblem(null);
    /** @type {Record<string, unknown>} */
    const data = { characteristic: f.characteristic, value: Number(f.value), min: Number(f.min), max: Number(f.max) };
    if (f.lot) data.lot = f.lot;
    if (f.wo) {
      data.wo = f.wo;
      data.step = f.step;
    }
    if (f.unit) data.unit = f.unit;
    for (const k of ['value', 'min', 'max']) {
      if (f[k] === '' || !Number.isFinite(Number(f[k]))) {
        setProblem({ text: t('inspection.number'), detail: '', field: k });
        return;
      }
    }
    try {
      if (await submitOrSign({ type: 'inspection.record', commandId: newCommandId(), data })) {
        setF({ ...f, value: '' });
      }
    } catch (e) {
      const p = describe(e);
      setProblem({ ...p, field: fieldName(p.field) });
    }
  }
  return html`<section class="action" aria-labelledby="inspection-title">
    <h2 id="inspection-title">${t('inspection.title')}</h2>
    <div class="add-user">
      <${Field} id="insp-lot" label=${t('col.lot')} value=${f.lot} onInput=${set('lot')} error=${err('lot')} />
      <${Field} id="insp-wo" label=${t('col.wo')} value=${f.wo} onInput=${set('wo')} error=${err('wo')} />
      <${Field} id="insp-step" label=${t('col.step')} value=${f.step} onInput=${set('step')} error=${err('step')} />
      <${Field} id="insp-characteristic" label=${t('inspection.characteristic')} value=${f.characteristic} onInput=${set('characteristic')} error=${err('characteristic')} />
      <${Field} id="insp-value" label=${t('wo.value')} value=${f.value} onInput=${set('value')} inputmode="decimal" error=${err('value')} />
      <${Field} id="insp-min" label=${t('inspection.min')} value=${f.min} onInput=${set('min')} inputmode="decimal" error=${err('min')} />
      <${Field} id="insp-max" label=${t('inspection.max')} value=${f.max} onInput=${set('max')} inputmode="decimal" error=${err('max')} />
      <${Field} id="insp-unit" label=${t('inspection.unit')} value=${f.unit} onInput=${set('unit')} />
      <button class="primary" disabled=${!f.characteristic || (!f.lot && !f.wo)} onClick=${record}>${t('inspection.record')}</button>
    </div>
    ${problem && !['lot', 'wo', 'step', 'characteristic', 'value', 'min', 'max'].includes(problem.field) && html`<${ErrorText} error=${problem} />`}
  </section>`;
}

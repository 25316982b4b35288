// The floor terminal: a tablet at a line, a keyboard-wedge scanner (it types what it reads and
// presses Enter), large targets, and a keyboard that does everything too. Scan a work order,
// scan the equipment and start the step, scan lots to consume with their quantity, report
// good and scrap (the scrap with its reasons, from the defect catalogue), complete. Every command goes through the outbox: when the connection drops
// the commands wait in the browser and are sent, once each, when it returns. A step that needs
// a line clearance shows it before the start: one person clears the line and a second verifies
// it, each signing (the signature policy says so; a signature needs the server, so those two
// never wait in the outbox); a labelling step counts its labels back before it completes.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, newCommandId, segment, withQuery } from '../api.js';
import { ErrorText, Field, SignatureDialog, Status, describe, fieldName } from '../components.js';
import { formatQty, formatTime, t } from '../i18n.js';

/** @typedef {{text: string, detail: string, field: string}} Problem */

/**
 * @param {{outbox: import('../outbox.js').Outbox, user: string}} props
 */
export function Floor({ outbox, user }) {
  const [woInput, setWoInput] = useState('');
  const [wo, setWo] = useState(/** @type {any} */ (null));
  const [stepName, setStepName] = useState('');
  const [equipment, setEquipment] = useState('');
  const [equipmentList, setEquipmentList] = useState(/** @type {any[]} */ ([]));
  const [lot, setLot] = useState('');
  const [qty, setQty] = useState('');
  const [good, setGood] = useState('');
  const [scrap, setScrap] = useState('0');
  const [catalogue, setCatalogue] = useState(/** @type {any[]} */ ([]));
  const [reasons, setReasons] = useState(/** @type {{defect: string, qty: string}[]} */ ([]));
  const [reasonCode, setReasonCode] = useState('');
  const [reasonQty, setReasonQty] = useState('');
  const [policies, setPolicies] = useState(/** @type {{commandType: string, required: boolean, meanings: string[]}[]} */ ([]));
  const [signing, setSigning] = useState(/** @type {{command: import('../api.js').Command, meanings: string[], label: string} | null} */ (null));
  const [checks, setChecks] = useState({ materials: false, labels: false });
  const [labels, setLabels] = useState({ issued: '', used: '', destroyed: '0', returned: '0' });
  const [problem, setProblem] = useState(/** @type {Problem | null} */ (null));
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  const [, setTick] = useState(0);

  useEffect(() => {
    get(withQuery('/v1/equipment', { limit: 1000 })).then((r) => setEquipmentList(r.items), () => {});
    get(withQuery('/v1/defects', { limit: 1000 })).then((r) => {
      setCatalogue(r.items);
      setReasonCode(r.items[0]?.defect ?? '');
    }, () => {});
    get('/v1/signatures/policy').then((r) => setPolicies(r.policies), () => {});
    return outbox.subscribe(() => setTick((n) => n + 1));
  }, []);

  /** @param {string} id */
  async function load(id) {
    const trimmed = id.trim();
    if (!trimmed) return;
    setProblem(null);
    setDone('');
    try {
      const r = await get('/v1/work-orders/' + segment(trimmed));
      if (r.state.wo !== wo?.wo) {
        setReasons([]);
        setChecks({ materials: false, labels: false });
        setLabels({ issued: '', used: '', destroyed: '0', returned: '0' });
      }
      // Which clearance each machine carries changes with every start and clearance.
      get(withQuery('/v1/equipment', { limit: 1000 })).then((l) => setEquipmentList(l.items), () => {});
      setWo(r.state);
      const current = r.state.steps.find((/** @type {any} */ s) => s.status !== 'completed');
      setStepName(current ? current.step : '');
      if (current?.equipment) setEquipment(current.equipment);
      else if (current?.clearance?.equipment) setEquipment(current.clearance.equipment);
    } catch (e) {
      const p = describe(e);
      if (e instanceof ApiError && e.status === 404) p.text = t('floor.noSuchOrder', { wo: trimmed });
      setProblem({ ...p, field: 'wo' });
      if (!(e instanceof ApiError && e.unreachable)) setWo(null);
    }
  }

  /**
   * @param {string} type
   * @param {Record<string, unknown>} data
   * @param {string} label
   * @param {() => void} [after]
   */
  async function command(type, data, label, after) {
    if (busy) return;
    setBusy(true);
    setProblem(null);
    setDone('');
    try {
      const { queued } = await outbox.send({ type, commandId: newCommandId(), data }, label);
      after?.();
      if (!queued) await load(wo.wo);
      setDone(queued ? t('floor.queued', { what: label }) : t('floor.recorded', { what: label }));
    } catch (e) {
      const p = describe(e);
      setProblem({ ...p, field: fieldName(p.field) });
    } finally {
      setBusy(false);
    }
  }

  /**
   * A command the signature policy names opens the signature dialog (it is written once the
   * signer confirms); any other goes through the outbox.
   * @param {string} type
   * @param {Record<string, unknown>} data
   * @param {string} label
   * @param {() => void} [after]
   */
  function signedOrSent(type, data, label, after) {
    const policy = policies.find((p) => p.commandType === type && p.required);
    if (!policy) return command(type, data, label, after);
    setProblem(null);
    setDone('');
    setSigning({ command: { type, commandId: newCommandId(), data }, meanings: policy.meanings, label });
  }

  const step = wo?.steps.find((/** @type {any} */ s) => s.step === stepName);
  /** @param {string} field */
  const errorFor = (field) => (problem && problem.field === field ? problem : null);
  // Reasons are asked for, and sent, only with scrap to explain.
  const asksReasons = Number(scrap) > 0 && catalogue.length > 0;
  const reasonsError = asksReasons && problem && problem.field.startsWith('defects') ? problem : null;
  const general = problem && !['wo', 'equipment', 'lot', 'qty', 'good', 'scrap', 'issued', 'used', 'destroyed', 'returned'].includes(problem.field) && !reasonsError ? problem : null;
  const clearance = step?.clearance?.by ? step.clearance : null;
  // The clearance holds only on its own equipment, until another start or clearance there.
  const holds = clearance && clearance.equipment === equipment &&
    equipmentList.find((e) => e.equipment === equipment)?.clearedFor === `${wo.wo}/${step.step}`;
  const counted = step?.labels?.by ? step.labels : null;
  /** @param {string} k */
  const setLabel = (k) => (/** @type {string} */ v) => setLabels({ ...labels, [k]: v });
  const reconcile = {
    data: () => ({ wo: wo.wo, step: step.step, issued: Number(labels.issued), used: Number(labels.used || 0), destroyed: Number(labels.destroyed || 0), returned: Number(labels.returned || 0) }),
    after: () => setLabels({ issued: '', used: '', destroyed: '0', returned: '0' }),
  };
  const gap = counted ? Number(counted.issued) - Number(counted.used) - Number(counted.destroyed) - Number(counted.returned) : 0;
  /** @param {string} code */
  const defectName = (code) => catalogue.find((d) => d.defect === code)?.name ?? code;
  function addReason() {
    if (!reasonCode || !reasonQty) return;
    setReasons((rs) => [...rs.filter((r) => r.defect !== reasonCode), { defect: reasonCode, qty: reasonQty }]);
    setReasonQty('');
    if (reasonsError) setProblem(null);
  }
  const report = {
    data: () => ({ wo: wo.wo, step: step.step, good: good || '0', scrap: scrap || '0', ...(asksReasons && reasons.length ? { defects: reasons } : {}) }),
    label: () => t('floor.did.report', { good: good || '0', scrap: scrap || '0' }),
    after: () => { setGood(''); setScrap('0'); setReasons([]); },
  };
  const candidates = step ? equipmentList.filter((e) => e.workCenter === step.workCenter) : [];

  return html`<main class="floor">
    <h1>${t('floor.title')}</h1>
    <section aria-labelledby="floor-wo">
      <h2 id="floor-wo" class="visually-hidden">${t('floor.workOrder')}</h2>
      <${Field} id="wo" label=${t('floor.scanWorkOrder')} value=${woInput} onInput=${setWoInput}
        onEnter=${() => load(woInput)} autofocus=${true} error=${errorFor('wo')} />
      <button class="big" onClick=${() => load(woInput)}>${t('floor.open')}</button>
    </section>
    ${wo && html`<section class="order" aria-labelledby="order-title">
      <h2 id="order-title">${t('floor.order', { wo: wo.wo })} <${Status} status=${wo.status} /></h2>
      <p>${t('floor.orderLine', { material: wo.material, qty: formatQty(wo.qty) })}</p>
      <ol class="steps">
        ${wo.steps.map((/** @type {any} */ s) => html`<li>
          <button class=${'step' + (s.step === stepName ? ' selected' : '')} aria-pressed=${s.step === stepName}
            onClick=${() => { if (s.step !== stepName) setReasons([]); setStepName(s.step); setProblem(null); }}>
            <strong>${s.step}</strong> <${Status} status=${s.status} />
            <span>${t('floor.stepLine', { center: s.workCenter, good: formatQty(s.good), scrap: formatQty(s.scrap) })}</span>
            ${s.equipment ? html`<span>${s.equipment}</span>` : null}
          </button>
        </li>`)}
      </ol>
    </section>`}
    ${step && step.status === 'pending' && html`<section class="action" aria-labelledby="start-title">
      <h2 id="start-title">${t('floor.startStep', { step: step.step })}</h2>
      <${Field} id="equipment" label=${t('floor.scanEquipment')} value=${equipment} onInput=${setEquipment}
        onEnter=${() => equipment && command('op.start', { wo: wo.wo, step: step.step, equipment }, t('floor.did.start', { step: step.step }))}
        error=${errorFor('equipment')} />
      <div class="choices">
        ${candidates.map((e) => html`<button class=${'choice' + (e.equipment === equipment ? ' selected' : '')}
          aria-pressed=${e.equipment === equipment} onClick=${() => setEquipment(e.equipment)}>
          ${e.equipment} <${Status} status=${e.state} /></button>`)}
      </div>
      ${step.lineClearance && html`<fieldset class="clearance" aria-labelledby="clearance-title">
        <legend id="clearance-title">${t('floor.clearance')}</legend>
        <p class="clearance-state" role="status">${!clearance ? t('floor.clearance.none')
          : clearance.equipment === equipment && !holds ? t('floor.clearance.void', { equipment })
          : clearance.verifiedBy ? t('floor.clearance.verified', { equipment: clearance.equipment, by: clearance.by, verifier: clearance.verifiedBy, at: formatTime(clearance.verifiedAt) })
          : t('floor.clearance.cleared', { equipment: clearance.equipment, by: clearance.by, at: formatTime(clearance.at) })}</p>
        ${!holds && html`<label class="check"><input type="checkbox" id="materials-removed" checked=${checks.materials}
            onChange=${(/** @type {Event} */ ev) => setChecks({ ...checks, materials: /** @type {HTMLInputElement} */ (ev.target).checked })} /> ${t('floor.materialsRemoved')}</label>
          <label class="check"><input type="checkbox" id="labels-removed" checked=${checks.labels}
            onChange=${(/** @type {Event} */ ev) => setChecks({ ...checks, labels: /** @type {HTMLInputElement} */ (ev.target).checked })} /> ${t('floor.labelsRemoved')}</label>
          <button class="big" disabled=${busy || !equipment || !checks.materials || !checks.labels}
            onClick=${() => signedOrSent('line.clear', { wo: wo.wo, step: step.step, equipment, materialsRemoved: checks.materials, labelsRemoved: checks.labels }, t('floor.did.clear', { step: step.step, equipment }), () => setChecks({ materials: false, labels: false }))}>
            ${t('floor.clearLine', { equipment: equipment || '…' })}</button>`}
        ${holds && !clearance.verifiedBy && html`<button class="big" disabled=${busy}
          onClick=${() => signedOrSent('line.verify', { wo: wo.wo, step: step.step }, t('floor.did.verifyClearance', { step: step.step }))}>
          ${t('floor.verifyClearance', { by: clearance.by })}</button>`}
      </fieldset>`}
      <button class="primary big" disabled=${busy || !equipment}
        onClick=${() => command('op.start', { wo: wo.wo, step: step.step, equipment }, t('floor.did.start', { step: step.step }))}>
        ${t('floor.start')}</button>
    </section>`}
    ${step && step.status === 'running' && html`<section class="action" aria-labelledby="consume-title">
      <h2 id="consume-title">${t('floor.consume')}</h2>
      <${Field} id="lot" label=${t('floor.scanLot')} value=${lot} onInput=${setLot}
        onEnter=${() => document.getElementById('qty')?.focus()} error=${errorFor('lot')} />
      <${Field} id="qty" label=${t('floor.quantity')} value=${qty} onInput=${setQty} inputmode="decimal"
        onEnter=${() => lot && qty && command('lot.consume', { wo: wo.wo, step: step.step, lot, qty }, t('floor.did.consume', { lot, qty }), () => { setLot(''); setQty(''); })}
        error=${errorFor('qty')} />
      <button class="primary big" disabled=${busy || !lot || !qty}
        onClick=${() => command('lot.consume', { wo: wo.wo, step: step.step, lot, qty }, t('floor.did.consume', { lot, qty }), () => { setLot(''); setQty(''); })}>
        ${t('floor.consumeButton')}</button>
    </section>`}
    ${step && step.status !== 'pending' && html`<section class="action" aria-labelledby="report-title">
      <h2 id="report-title">${t('floor.report')}</h2>
      <${Field} id="good" label=${t('floor.good')} value=${good} onInput=${setGood} inputmode="decimal"
        onEnter=${() => document.getElementById('scrap')?.focus()} error=${errorFor('good')} />
      <${Field} id="scrap" label=${t('floor.scrap')} value=${scrap} onInput=${setScrap} inputmode="decimal"
        error=${errorFor('scrap')} />
      ${asksReasons && html`<fieldset class="reasons" aria-describedby=${reasonsError ? 'reasons-error' : undefined}>
        <legend>${t('floor.reasons')}</legend>
        <div class="field"><label for="reason-defect">${t('floor.reasonDefect')}</label>
          <select id="reason-defect" value=${reasonCode} onChange=${(/** @type {Event} */ ev) => setReasonCode(/** @type {HTMLSelectElement} */ (ev.target).value)}>
            ${catalogue.map((d) => html`<option value=${d.defect}>${d.name} (${d.defect})</option>`)}
          </select></div>
        <${Field} id="reason-qty" label=${t('floor.reasonQty')} value=${reasonQty} onInput=${setReasonQty} inputmode="decimal" onEnter=${addReason} />
        <button class="big" disabled=${!reasonQty} onClick=${addReason}>${t('floor.addReason')}</button>
        <ul class="reason-list">${reasons.map((r) => html`<li data-defect=${r.defect}>${defectName(r.defect)}: ${r.qty}
          <button aria-label=${t('floor.removeReasonOf', { defect: defectName(r.defect) })}
            onClick=${() => { setReasons((rs) => rs.filter((x) => x.defect !== r.defect)); if (reasonsError) setProblem(null); }}>${t('floor.removeReason')}</button></li>`)}</ul>
        <${ErrorText} error=${reasonsError} id="reasons-error" />
      </fieldset>`}
      <button class="primary big" disabled=${busy || (!good && !scrap)}
        onClick=${() => command('op.report', report.data(), report.label(), report.after)}>
        ${t('floor.reportButton')}</button>
    </section>`}
    ${step && step.labelling && step.status !== 'pending' && html`<section class="action labels" aria-labelledby="labels-title">
      <h2 id="labels-title">${t('floor.labels')}</h2>
      ${counted ? html`<p class="labels-state" role="status">${t('floor.labels.counted', { issued: counted.issued, used: counted.used, destroyed: counted.destroyed, returned: counted.returned, by: counted.by })}
          ${gap !== 0 && html` <strong class="flag">${t(gap > 0 ? 'floor.labels.missing' : 'floor.labels.extra', { n: Math.abs(gap) })}</strong>`}</p>`
        : html`<${Field} id="issued" label=${t('floor.labels.issued')} value=${labels.issued} onInput=${setLabel('issued')} inputmode="numeric" error=${errorFor('issued')} />
          <${Field} id="used" label=${t('floor.labels.used')} value=${labels.used} onInput=${setLabel('used')} inputmode="numeric" error=${errorFor('used')} />
          <${Field} id="destroyed" label=${t('floor.labels.destroyed')} value=${labels.destroyed} onInput=${setLabel('destroyed')} inputmode="numeric" error=${errorFor('destroyed')} />
          <${Field} id="returned" label=${t('floor.labels.returned')} value=${labels.returned} onInput=${setLabel('returned')} inputmode="numeric" error=${errorFor('returned')} />
          <button class="primary big" disabled=${busy || !labels.issued}
            onClick=${() => command('label.reconcile', reconcile.data(), t('floor.did.labels', { issued: labels.issued }), reconcile.after)}>
            ${t('floor.labels.button')}</button>`}
    </section>`}
    ${step && step.status === 'running' && html`<section class="action">
      <button class="big" disabled=${busy}
        onClick=${() => command('op.complete', { wo: wo.wo, step: step.step }, t('floor.did.complete', { step: step.step }))}>
        ${t('floor.complete', { step: step.step })}</button>
    </section>`}
    <${ErrorText} error=${general} id="floor-error" />
    ${done && html`<p class="done" role="status">${done}</p>`}
    ${signing && html`<${SignatureDialog} command=${signing.command} meanings=${signing.meanings} user=${user}
      onCancel=${() => setSigning(null)}
      onDone=${(/** @type {any} */ r) => {
        const label = signing.label;
        setSigning(null);
        if (signing.command.type === 'line.clear') setChecks({ materials: false, labels: false });
        load(wo.wo).then(() => setDone(t('floor.signed', { what: label, name: r.signature.name, at: formatTime(r.signature.signedAt) })));
      }} />`}
    ${outbox.refused.length > 0 && html`<section class="refused" aria-labelledby="refused-title">
      <h2 id="refused-title">${t('floor.refused')}</h2>
      <ul>${outbox.refused.map((o) => html`<li>${o.entry.label}: <${ErrorText} error=${o.error ? describe(o.error) : null} /></li>`)}</ul>
      <button onClick=${() => { outbox.refused.length = 0; outbox.save(); }}>${t('common.dismiss')}</button>
    </section>`}
    ${outbox.pending > 0 && html`<section class="queued" aria-labelledby="queued-title">
      <h2 id="queued-title">${t('floor.waiting', { n: outbox.pending })}</h2>
      <ul>${outbox.entries.map((e) => html`<li>${e.label}</li>`)}</ul>
    </section>`}
  </main>`;
}

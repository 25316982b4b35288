// Exceptions: a worklist (mine, and all that are not closed), raising one, and taking it
// through acknowledge, assign, resolve and close, with deadlines and escalations shown. Each
// action is offered only to those who may take it; closing a critical exception is signed
// where the signature policy says so.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get, newCommandId, submit, withQuery } from '../api.js';
import { ErrorText, Field, SignatureDialog, Status, describe, fieldName } from '../components.js';
import { formatTime, siteLocalToIso, t } from '../i18n.js';
import { can } from '../session.js';

const UNRESOLVED = ['open', 'assigned', 'acknowledged', 'resolved'];
const CATEGORIES = ['equipment', 'process', 'material', 'personnel', 'environment', 'quality'];
const SEVERITIES = ['low', 'medium', 'high', 'critical'];

/** @param {{user: string}} props */
export function Exceptions({ user }) {
  const me = 'user:' + user;
  const [all, setAll] = useState(/** @type {any[] | null} */ (null));
  const [mineOnly, setMineOnly] = useState(false);
  const [open, setOpen] = useState(/** @type {string} */ (''));
  const [raising, setRaising] = useState(false);
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  const [done, setDone] = useState('');
  const [policies, setPolicies] = useState(/** @type {any[]} */ ([]));
  const [signing, setSigning] = useState(/** @type {{command: any, meanings: string[]} | null} */ (null));

  async function refresh() {
    try {
      const pages = await Promise.all(UNRESOLVED.map((status) => get(withQuery('/v1/exceptions', { status, limit: 1000 }))));
      setAll(pages.flatMap((p) => p.items));
    } catch (e) {
      setProblem(describe(e));
    }
  }
  useEffect(() => {
    refresh();
    get('/v1/signatures/policy').then((p) => setPolicies(p.policies), () => {});
  }, []);

  /**
   * @param {string} type
   * @param {Record<string, unknown>} data
   * @param {any} [exception] the exception acted on (for a critical close's signature)
   */
  async function act(type, data, exception) {
    setProblem(null);
    setDone('');
    const command = { type, commandId: newCommandId(), data };
    const policy = policies.find((p) => p.commandType === type && p.required && (!p.criticalOnly || exception?.severity === 'critical'));
    if (policy) {
      setSigning({ command, meanings: policy.meanings });
      return;
    }
    try {
      await submit(command);
      finished(type, String(data.exception));
    } catch (e) {
      const p = describe(e);
      setProblem({ ...p, field: fieldName(p.field) });
    }
  }

  /**
   * @param {string} type
   * @param {string} id
   */
  function finished(type, id) {
    setDone(t('exc.done', { what: t('exc.action.' + type), id }));
    setRaising(false);
    refresh();
  }

  const rows = (all ?? [])
    .filter((x) => !mineOnly || x.assignee === me)
    .sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || String(a.raisedAt).localeCompare(String(b.raisedAt)));
  const now = Date.now();

  return html`<main class="exceptions-screen">
    <h1>${t('exc.title')}</h1>
    <div class="toolbar">
      <label class="check"><input type="checkbox" checked=${mineOnly} onChange=${() => setMineOnly(!mineOnly)} /> ${t('exc.mine')}</label>
      ${can('exception.raise') && html`<button class="primary" onClick=${() => setRaising(!raising)}>${t('exc.raise')}</button>`}
    </div>
    <${ErrorText} error=${problem} id="exc-error" />
    ${done && html`<p class="done" role="status">${done}</p>`}
    ${raising && html`<${RaiseForm} onRaise=${(/** @type {Record<string, unknown>} */ d) => act('exception.raise', d)} problem=${problem} onCancel=${() => setRaising(false)} />`}
    <table class="worklist">
      <thead><tr>
        <th scope="col">${t('col.exception')}</th><th scope="col">${t('col.severity')}</th><th scope="col">${t('col.status')}</th>
        <th scope="col">${t('col.description')}</th><th scope="col">${t('col.assignee')}</th><th scope="col">${t('exc.deadline')}</th>
        <th scope="col">${t('col.decision')}</th>
      </tr></thead>
      <tbody>${rows.map((x) => html`<tr key=${x.exception} data-exception=${x.exception}>
        <td><a href=${'#/audit/exceptions/' + encodeURIComponent(x.exception)}>${x.exception}</a></td>
        <td><span class=${'severity ' + x.severity}>${t('severity.' + x.severity)}</span></td>
        <td><${Status} status=${x.status} />${x.escalated ? html` <strong class="late-flag">${t('boards.escalated')}</strong>` : null}</td>
        <td>${x.description}<br /><small>${t('category.' + x.category)} ${[x.wo, x.equipment, ...(x.lots ?? [])].filter(Boolean).join(' · ')}</small></td>
        <td>${x.assignee}</td>
        <td>${formatTime(x.deadline)}${x.deadline && Date.parse(x.deadline) < now ? html` <strong class="late-flag">${t('boards.overdue')}</strong>` : null}</td>
        <td><button onClick=${() => setOpen(open === x.exception ? '' : x.exception)} aria-expanded=${open === x.exception}>${t('exc.act')}</button></td>
      </tr>
      ${open === x.exception && html`<tr class="actions-row"><td colspan="7"><${Actions} x=${x} me=${me} act=${act} /></td></tr>`}`)}
      </tbody>
    </table>
    ${all && rows.length === 0 && html`<p>${t('exc.none')}</p>`}
    ${signing && html`<${SignatureDialog} command=${signing.command} meanings=${signing.meanings} user=${user}
      onCancel=${() => setSigning(null)}
      onDone=${() => { const c = signing.command; setSigning(null); finished(c.type, String(c.data.exception)); }} />`}
  </main>`;
}

/**
 * The steps an exception can take next, as far as this person may take them.
 * @param {{x: any, me: string, act: (type: string, data: Record<string, unknown>, x?: any) => void}} props
 */
function Actions({ x, me, act }) {
  const [assignee, setAssignee] = useState(x.assignee || '');
  const [rootCause, setRootCause] = useState('');
  const [action, setAction] = useState('');
  const [comment, setComment] = useState('');
  const id = x.exception;
  const unresolved = x.status !== 'resolved' && x.status !== 'closed';
  return html`<div class="exception-actions">
    ${can('exception.acknowledge') && (x.status === 'assigned' || x.status === 'open') && html`
      <button onClick=${() => act('exception.acknowledge', { exception: id })}>${t('exc.action.exception.acknowledge')}</button>`}
    ${can('exception.assign') && unresolved && html`<div class="inline">
      <${Field} id=${'assignee-' + id} label=${t('exc.assignTo')} value=${assignee} onInput=${setAssignee} />
      <button onClick=${() => act('exception.assign', { exception: id, assignee: assignee.includes(':') ? assignee : 'user:' + assignee })} disabled=${!assignee}>${t('exc.action.exception.assign')}</button>
      ${x.assignee !== me && html`<button class="secondary" onClick=${() => act('exception.assign', { exception: id, assignee: me })}>${t('exc.assignMe')}</button>`}
    </div>`}
    ${can('exception.resolve') && x.status === 'acknowledged' && html`<div class="inline">
      <${Field} id=${'cause-' + id} label=${t('exc.rootCause')} value=${rootCause} onInput=${setRootCause} />
      <${Field} id=${'action-' + id} label=${t('exc.correctiveAction')} value=${action} onInput=${setAction} />
      <button onClick=${() => act('exception.resolve', { exception: id, rootCause, action })} disabled=${!rootCause || !action}>${t('exc.action.exception.resolve')}</button>
    </div>`}
    ${can('exception.close') && x.status === 'resolved' && html`
      <button class="primary" onClick=${() => act('exception.close', { exception: id }, x)}>${t('exc.action.exception.close')}</button>`}
    ${can('exception.comment') && html`<div class="inline">
      <${Field} id=${'comment-' + id} label=${t('exc.comment')} value=${comment} onInput=${setComment} />
      <button onClick=${() => act('exception.comment', { exception: id, text: comment })} disabled=${!comment}>${t('exc.action.exception.comment')}</button>
    </div>`}
  </div>`;
}

/**
 * @param {{onRaise: (data: Record<string, unknown>) => void, onCancel: () => void, problem: any}} props
 */
function RaiseForm({ onRaise, onCancel, problem }) {
  const [f, setF] = useState(/** @type {Record<string, string>} */ ({ category: 'process', severity: 'medium', description: '', wo: '', lot: '', equipment: '', deadline: '' }));
  /** @param {string} k */
  const set = (k) => (/** @type {string} */ v) => setF({ ...f, [k]: v });
  /** @param {string} k */
  const err = (k) => (problem && problem.field === k ? problem : null);
  function raise() {
    const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(2, 12);
    /** @type {Record<string, unknown>} */
    const data = { exception: `EX-${stamp}-${Math.floor(Math.random() * 900 + 100)}`, category: f.category, severity: f.severity, description: f.description };
    for (const k of ['wo', 'lot', 'equipment']) if (f[k].trim()) data[k] = f[k].trim();
    if (f.deadline) data.deadline = siteLocalToIso(f.deadline);
    onRaise(data);
  }
  return html`<section class="action" aria-labelledby="raise-title">
    <h2 id="raise-title">${t('exc.raise')}</h2>
    <div class="field"><label for="raise-category">${t('exc.category')}</label>
      <select id="raise-category" value=${f.category} onChange=${(/** @type {Event} */ ev) => set('category')(/** @type {HTMLSelectElement} */ (ev.target).value)}>
        ${CATEGORIES.map((c) => html`<option value=${c}>${t('category.' + c)}</option>`)}</select></div>
    <div class="field"><label for="raise-severity">${t('col.severity')}</label>
      <select id="raise-severity" value=${f.severity} onChange=${(/** @type {Event} */ ev) => set('severity')(/** @type {HTMLSelectElement} */ (ev.target).value)}>
        ${SEVERITIES.map((c) => html`<option value=${c}>${t('severity.' + c)}</option>`)}</select></div>
    <${Field} id="raise-description" label=${t('col.description')} value=${f.description} onInput=${set('description')} error=${err('description')} />
    <${Field} id="raise-wo" label=${t('col.wo')} value=${f.wo} onInput=${set('wo')} error=${err('wo')} />
    <${Field} id="raise-lot" label=${t('col.lot')} value=${f.lot} onInput=${set('lot')} error=${err('lot')} />
    <${Field} id="raise-equipment" label=${t('col.equipment')} value=${f.equipment} onInput=${set('equipment')} error=${err('equipment')} />
    <${Field} id="raise-deadline" label=${t('exc.deadlineSite')} type="datetime-local" value=${f.deadline} onInput=${set('deadline')} error=${err('deadline')} />
    <div class="actions">
      <button class="secondary" onClick=${onCancel}>${t('common.cancel')}</button>
      <button class="primary" disabled=${!f.description} onClick=${raise}>${t('exc.raiseButton')}</button>
    </div>
  </section>`;
}

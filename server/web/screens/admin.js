// Administration: people and their roles, API tokens, the plugins and their grants, and the
// electronic-signature policy. Each part is shown to those who may read it, and each action
// offered to those who may take it; every change is a record with who made it.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get, newCommandId, post, segment, submit } from '../api.js';
import { ErrorText, Field, describe, fieldName } from '../components.js';
import { formatTime, t } from '../i18n.js';
import { can, canRead } from '../session.js';

const ROLES = ['operator', 'supervisor', 'qa', 'planner', 'maintenance', 'auditor', 'admin', 'integration'];
const MEANINGS = ['performed', 'verified', 'reviewed', 'approved', 'released'];

export function Admin() {
  const [problem, setProblem] = useState(/** @type {any} */ (null));
  const [done, setDone] = useState('');
  const [version, setVersion] = useState(0);

  /**
   * Submits a command and says what happened.
   * @param {string} type
   * @param {Record<string, unknown>} data
   * @param {string} what
   */
  async function act(type, data, what) {
    setProblem(null);
    setDone('');
    try {
      await submit({ type, commandId: newCommandId(), data });
      setDone(t('admin.done', { what }));
      setVersion((v) => v + 1);
      return true;
    } catch (e) {
      const p = describe(e);
      setProblem({ ...p, field: fieldName(p.field) });
      return false;
    }
  }

  return html`<main class="admin">
    <h1>${t('admin.title')}</h1>
    <${ErrorText} error=${problem} id="admin-error" />
    ${done && html`<p class="done" role="status">${done}</p>`}
    ${canRead('identity') && html`<${Users} act=${act} version=${version} setProblem=${setProblem} setDone=${setDone} />`}
    ${canRead('identity') && html`<${Tokens} act=${act} version=${version} setProblem=${setProblem} />`}
    <${Policy} act=${act} version=${version} />
    ${canRead('identity') && html`<${Plugins} />`}
  </main>`;
}

/**
 * @param {{act: (type: string, data: Record<string, unknown>, what: string) => Promise<boolean>, version: number,
 *          setProblem: (p: any) => void, setDone: (s: string) => void}} props
 */
function Users({ act, version, setProblem, setDone }) {
  const [users, setUsers] = useState(/** @type {any[]} */ ([]));
  const [editing, setEditing] = useState(/** @type {any} */ (null));
  const [adding, setAdding] = useState(false);
  useEffect(() => {
    get('/v1/users').then((r) => setUsers(r.users), (e) => setProblem(describe(e)));
  }, [version]);
  return html`<section aria-labelledby="users-title">
    <h2 id="users-title">${t('admin.users')}</h2>
    ${can('user.add') && html`<button class="primary" onClick=${() => setAdding(!adding)}>${t('admin.addUser')}</button>`}
    ${adding && html`<${AddUser} act=${act} setProblem=${setProblem} setDone=${setDone} onDone=${() => setAdding(false)} />`}
    <table class="users">
      <thead><tr><th scope="col">${t('admin.user')}</th><th scope="col">${t('admin.name')}</th><th scope="col">${t('admin.roles')}</th>
        <th scope="col">${t('col.status')}</th><th scope="col">${t('col.decision')}</th></tr></thead>
      <tbody>${users.map((u) => html`<tr key=${u.user} data-user=${u.user}>
        <td>${u.user}</td><td>${u.name}</td><td>${u.roles.map((/** @type {string} */ r) => t('role.' + r)).join(', ')}</td>
        <td>${u.disabled ? t('admin.disabled') : u.lockedUntil ? t('admin.lockedUntil', { at: formatTime(u.lockedUntil) }) : t('admin.active')}
          ${u.passwordSet ? '' : html` · <strong>${t('admin.noPassword')}</strong>`}</td>
        <td><button onClick=${() => setEditing(editing?.user === u.user ? null : u)} aria-expanded=${editing?.user === u.user}>${t('exc.act')}</button></td>
      </tr>
      ${editing?.user === u.user && html`<tr class="actions-row"><td colspan="5"><${UserActions} u=${u} act=${act} setProblem=${setProblem} setDone=${setDone} /></td></tr>`}`)}
      </tbody>
    </table>
  </section>`;
}

/**
 * @param {{u: any, act: (type: string, data: Record<string, unknown>, what: string) => Promise<boolean>,
 *          setProblem: (p: any) => void, setDone: (s: string) => void}} props
 */
function UserActions({ u, act, setProblem, setDone }) {
  const [roles, setRoles] = useState(/** @type {string[]} */ (u.roles));
  const [reason, setReason] = useState('');
  const [password, setPassword] = useState('');
  const id = u.user;
  async function resetPassword() {
    setProblem(null);
    try {
      await post(`/v1/users/${segment(id)}/password`, { password });
      setPassword('');
      setDone(t('admin.done', { what: t('admin.passwordSet', { user: id }) }));
    } catch (e) {
      setProblem(describe(e));
    }
  }
  return html`<div class="exception-actions">
    ${can('user.set_roles') && html`<fieldset class="roles"><legend>${t('admin.roles')}</legend>
      ${ROLES.map((r) => html`<label class="check"><input type="checkbox" checked=${roles.includes(r)}
        onChange=${() => setRoles(roles.includes(r) ? roles.filter((x) => x !== r) : [...roles, r])} /> ${t('role.' + r)}</label>`)}
      <button onClick=${() => act('user.set_roles', { user: id, roles }, t('admin.rolesSet', { user: id }))}>${t('admin.setRoles')}</button>
    </fieldset>`}
    <div class="inline">
      <${Field} id=${'reason-' + id} label=${t('qa.reason')} value=${reason} onInput=${setReason} />
      ${can('user.disable') && !u.disabled && html`<button class="danger" disabled=${!reason} onClick=${() => act('user.disable', { user: id, reason }, t('admin.disabledUser', { user: id }))}>${t('admin.disable')}</button>`}
      ${can('user.enable') && u.disabled && html`<button disabled=${!reason} onClick=${() => act('user.enable', { user: id, reason }, t('admin.enabledUser', { user: id }))}>${t('admin.enable')}</button>`}
      ${can('user.unlock') && u.lockedUntil && html`<button disabled=${!reason} onClick=${() => act('user.unlock', { user: id, reason }, t('admin.unlocked', { user: id }))}>${t('admin.unlock')}</button>`}
    </div>
    ${can('user.set_password') && html`<div class="inline">
      <${Field} id=${'password-' + id} label=${t('admin.newPassword')} type="password" value=${password} onInput=${setPassword} autocomplete="new-password" />
      <button disabled=${!password} onClick=${resetPassword}>${t('admin.setPassword')}</button>
    </div>`}
  </div>`;
}

/**
 * @param {{act: (type: string, data: Record<string, unknown>, what: string) => Promise<boolean>,
 *          setProblem: (p: any) => void, setDone: (s: string) => void, onDone: () => void}} props
 */
function AddUser({ act, setProblem, setDone, onDone }) {
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [roles, setRoles] = useState(/** @type {string[]} */ (['operator']));
  const [password, setPassword] = useState('');
  async function add() {
    if (!(await act('user.add', { user: id, name, roles }, t('admin.added', { user: id })))) return;
    if (password) {
      try {
        await post(`/v1/users/${segment(id)}/password`, { password });
      } catch (e) {
        setProblem(describe(e));
        return;
      }
    }
    setDone(t('admin.done', { what: t('admin.added', { user: id }) }));
    onDone();
  }
  return html`<div class="action add-user">
    <${Field} id="new-user" label=${t('admin.user')} value=${id} onInput=${setId} />
    <${Field} id="new-name" label=${t('admin.name')} value=${name} onInput=${setName} />
    <fieldset class="roles"><legend>${t('admin.roles')}</legend>
      ${ROLES.map((r) => html`<label class="check"><input type="checkbox" checked=${roles.includes(r)}
        onChange=${() => setRoles(roles.includes(r) ? roles.filter((x) => x !== r) : [...roles, r])} /> ${t('role.' + r)}</label>`)}
    </fieldset>
    <${Field} id="new-password" label=${t('admin.firstPassword')} type="password" value=${password} onInput=${setPassword} autocomplete="new-password" />
    <button class="primary" disabled=${!id || !name || roles.length === 0} onClick=${add}>${t('admin.addUser')}</button>
  </div>`;
}

/**
 * @param {{act: (type: string, data: Record<string, unknown>, what: string) => Promise<boolean>, version: number, setProblem: (p: any) => void}} props
 */
function Tokens({ act, version, setProblem }) {
  const [tokens, setTokens] = useState(/** @type {any[]} */ ([]));
  const [id, setId] = useState('');
  const [role, setRole] = useState('integration');
  const [description, setDescription] = useState('');
  const [secret, setSecret] = useState('');
  const [reasons, setReasons] = useState(/** @type {Record<string, string>} */ ({}));
  const [tick, setTick] = useState(0);
  useEffect(() => {
    get('/v1/tokens').then((r) => setTokens(r.tokens), (e) => setProblem(describe(e)));
  }, [version, tick]);
  async function create() {
    setProblem(null);
    try {
      const r = await post('/v1/tokens', { token: id, role, description });
      setSecret(r.token);
      setId('');
      setTick(tick + 1);
    } catch (e) {
      setProblem(describe(e));
    }
  }
  return html`<section aria-labelledby="tokens-title">
    <h2 id="tokens-title">${t('admin.tokens')}</h2>
    ${secret && html`<div class="secret" role="status"><p>${t('admin.secretOnce')}</p><code id="token-secret">${secret}</code>
      <button class="secondary" onClick=${() => setSecret('')}>${t('common.dismiss')}</button></div>`}
    ${can('token.create') && html`<div class="inline">
      <${Field} id="token-id" label=${t('admin.tokenId')} value=${id} onInput=${setId} />
      <div class="field"><label for="token-role">${t('admin.role')}</label>
        <select id="token-role" value=${role} onChange=${(/** @type {Event} */ ev) => setRole(/** @type {HTMLSelectElement} */ (ev.target).value)}>
          ${ROLES.map((r) => html`<option value=${r}>${t('role.' + r)}</option>`)}</select></div>
      <${Field} id="token-description" label=${t('col.description')} value=${description} onInput=${setDescription} />
      <button class="primary" disabled=${!id} onClick=${create}>${t('admin.createToken')}</button>
    </div>`}
    <table class="tokens">
      <thead><tr><th scope="col">${t('admin.tokenId')}</th><th scope="col">${t('admin.role')}</th><th scope="col">${t('col.description')}</th>
        <th scope="col">${t('admin.created')}</th><th scope="col">${t('col.status')}</th></tr></thead>
      <tbody>${tokens.map((x) => html`<tr data-token=${x.token}><td>${x.token}</td><td>${t('role.' + x.role)}${x.commandTypes.length ? ' · ' + x.commandTypes.join(', ') : ''}</td>
        <td>${x.description}</td><td>${formatTime(x.createdAt)} · ${x.createdBy}</td>
        <td>${x.revoked ? t('admin.revoked') : can('token.revoke') ? html`<div class="inline">
          <label class="visually-hidden" for=${'revoke-' + x.token}>${t('qa.reason')}</label>
          <input id=${'revoke-' + x.token} placeholder=${t('qa.reason')} value=${reasons[x.token] ?? ''}
            onInput=${(/** @type {InputEvent} */ ev) => setReasons({ ...reasons, [x.token]: /** @type {HTMLInputElement} */ (ev.target).value })} />
          <button class="danger" disabled=${!reasons[x.token]} onClick=${() => act('token.revoke', { token: x.token, reason: reasons[x.token] }, t('admin.revokedToken', { token: x.token }))}>${t('admin.revoke')}</button></div>` : t('admin.active')}</td></tr>`)}</tbody>
    </table>
  </section>`;
}

/**
 * @param {{act: (type: string, data: Record<string, unknown>, what: string) => Promise<boolean>, version: number}} props
 */
function Policy({ act, version }) {
  const [policies, setPolicies] = useState(/** @type {any[]} */ ([]));
  const [type, setType] = useState('');
  const [required, setRequired] = useState(true);
  const [meanings, setMeanings] = useState(/** @type {string[]} */ (['approved']));
  const [criticalOnly, setCriticalOnly] = useState(false);
  const [reason, setReason] = useState('');
  useEffect(() => {
    get('/v1/signatures/policy').then((r) => setPolicies(r.policies), () => {});
  }, [version]);
  return html`<section aria-labelledby="policy-title">
    <h2 id="policy-title">${t('admin.policy')}</h2>
    <table class="policy">
      <thead><tr><th scope="col">${t('admin.commandType')}</th><th scope="col">${t('admin.required')}</th><th scope="col">${t('sign.meaning')}</th>
        <th scope="col">${t('admin.criticalOnly')}</th><th scope="col">${t('admin.set')}</th></tr></thead>
      <tbody>${policies.map((p) => html`<tr data-policy=${p.commandType}><td><code>${p.commandType}</code></td><td>${p.required ? t('admin.yes') : t('admin.no')}</td>
        <td>${p.meanings.map((/** @type {string} */ m) => t('meaning.' + m)).join(', ')}</td><td>${p.criticalOnly ? t('admin.yes') : ''}</td>
        <td>${formatTime(p.setAt)} · ${p.setBy}</td></tr>`)}</tbody>
    </table>
    ${can('signature.set_policy') && html`<div class="action policy-form">
      <${Field} id="policy-type" label=${t('admin.commandType')} value=${type} onInput=${setType} />
      <label class="check"><input type="checkbox" checked=${required} onChange=${() => setRequired(!required)} /> ${t('admin.required')}</label>
      <fieldset class="roles"><legend>${t('sign.meaning')}</legend>
        ${MEANINGS.map((m) => html`<label class="check"><input type="checkbox" checked=${meanings.includes(m)}
          onChange=${() => setMeanings(meanings.includes(m) ? meanings.filter((x) => x !== m) : [...meanings, m])} /> ${t('meaning.' + m)}</label>`)}
      </fieldset>
      <label class="check"><input type="checkbox" checked=${criticalOnly} onChange=${() => setCriticalOnly(!criticalOnly)} /> ${t('admin.criticalOnly')}</label>
      <${Field} id="policy-reason" label=${t('qa.reason')} value=${reason} onInput=${setReason} />
      <button class="primary" disabled=${!type || !reason}
        onClick=${() => act('signature.set_policy', { commandType: type, required, meanings, criticalOnly, reason }, t('admin.policySet', { type }))}>${t('admin.setPolicy')}</button>
    </div>`}
  </section>`;
}

function Plugins() {
  const [plugins, setPlugins] = useState(/** @type {any} */ (null));
  useEffect(() => {
    get('/v1/plugins').then(setPlugins, () => {});
  }, []);
  if (!plugins) return null;
  return html`<section aria-labelledby="plugins-title">
    <h2 id="plugins-title">${t('admin.plugins')}</h2>
    ${plugins.configured.length === 0 && html`<p>${t('admin.noPlugins')}</p>`}
    <table class="plugins">
      <thead><tr><th scope="col">${t('admin.plugin')}</th><th scope="col">${t('col.status')}</th><th scope="col">${t('admin.position')}</th><th scope="col">${t('admin.backlog')}</th><th scope="col">${t('admin.grants')}</th></tr></thead>
      <tbody>${plugins.configured.map((/** @type {any} */ c) => {
        const s = plugins.plugins.find((/** @type {any} */ p) => p.id === c.id);
        return html`<tr data-plugin=${c.id}><td>${c.id}<br /><small>${c.library}</small></td><td>${s ? s.state : c.enabled ? t('admin.notRunning') : t('admin.disabled')}</td>
          <td class="num">${s ? s.position : ''}</td><td class="num">${s && s.backlog !== undefined ? s.backlog : ''}</td><td>${c.grants.join(', ')}</td></tr>`;
      })}</tbody>
    </table>
  </section>`;
}

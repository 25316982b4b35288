// Pieces the screens share: labelled fields that show a rule's error beside them, the
// electronic-signature dialog, tables, and how an error is put in plain words.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, post } from './api.js';
import { has, t } from './i18n.js';

/**
 * An error in the reader's words: the rule's code in the current locale, with the server's
 * own sentence (which names the ids involved) beneath it.
 * @param {unknown} e
 * @returns {{text: string, detail: string, field: string}}
 */
export function describe(e) {
  if (e instanceof ApiError) {
    const key = 'error.' + e.code;
    return { text: has(key) ? t(key) : t('error.other', { code: e.code }), detail: e.message, field: e.field };
  }
  return { text: t('error.other', { code: 'client' }), detail: String(e), field: '' };
}

/**
 * Which of a form's fields an API error concerns ("data.qty" -> "qty"), so it shows there.
 * @param {string} field
 */
export function fieldName(field) {
  return field.replace(/^(command\.)?data\./, '').replace(/\[\d+\]$/, '');
}

/**
 * @param {{error: {text: string, detail: string} | null, id?: string}} props
 */
export function ErrorText({ error, id }) {
  if (!error) return null;
  return html`<div class="error" role="alert" id=${id}>
    <span>${error.text}</span>${error.detail ? html`<small lang="en">${error.detail}</small>` : null}
  </div>`;
}

/**
 * A labelled input that a keyboard-wedge scanner can fill: it ends its scan with Enter.
 * @param {{id: string, label: string, value: string, onInput: (v: string) => void,
 *          onEnter?: () => void, error?: {text: string, detail: string} | null,
 *          type?: string, inputmode?: string, autofocus?: boolean, disabled?: boolean,
 *          autocomplete?: string}} props
 */
export function Field({ id, label, value, onInput, onEnter, error = null, type = 'text', inputmode, autofocus, disabled, autocomplete = 'off' }) {
  const ref = useRef(/** @type {HTMLInputElement | null} */ (null));
  useEffect(() => {
    if (autofocus) ref.current?.focus();
  }, [autofocus]);
  const errorId = id + '-error';
  return html`<div class=${'field' + (error ? ' invalid' : '')}>
    <label for=${id}>${label}</label>
    <input id=${id} ref=${ref} type=${type} value=${value} inputmode=${inputmode}
      autocomplete=${autocomplete} disabled=${disabled}
      aria-invalid=${error ? 'true' : 'false'} aria-describedby=${error ? errorId : undefined}
      onInput=${(/** @type {InputEvent} */ ev) => onInput(/** @type {HTMLInputElement} */ (ev.target).value)}
      onKeyDown=${(/** @type {KeyboardEvent} */ ev) => {
        if (ev.key === 'Enter' && onEnter) {
          ev.preventDefault();
          onEnter();
        }
      }} />
    <${ErrorText} error=${error} id=${errorId} />
  </div>`;
}

/**
 * The electronic-signature dialog (21 CFR 11.50, 11.200): it asks the server for a
 * challenge, shows the manifestation text the signature will bind, lets the signer pick a
 * meaning the policy allows, and confirms with the password (and the user id the first time
 * in a session). Nothing is written until the confirmation succeeds.
 * @param {{command?: import('./api.js').Command, records?: number[], meanings: string[],
 *          user: string, onDone: (result: any) => void, onCancel: () => void}} props
 */
export function SignatureDialog({ command, records, meanings, user, onDone, onCancel }) {
  const [meaning, setMeaning] = useState(meanings[0] ?? '');
  const [challenge, setChallenge] = useState(/** @type {any} */ (null));
  const [userId, setUserId] = useState(user);
  const [password, setPassword] = useState('');
  const [error, setError] = useState(/** @type {{text: string, detail: string, field: string} | null} */ (null));
  const [busy, setBusy] = useState(false);
  const dialog = useRef(/** @type {HTMLDialogElement | null} */ (null));

  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  useEffect(() => {
    let live = true;
    setChallenge(null);
    setError(null);
    const body = command ? { command, meaning } : { records, meaning };
    post('/v1/signatures/challenges', body).then(
      (c) => live && setChallenge(c),
      (e) => live && setError(describe(e)),
    );
    return () => {
      live = false;
    };
  }, [meaning]);

  async function confirm() {
    if (!challenge || busy) return;
    setBusy(true);
    setError(null);
    try {
      /** @type {Record<string, string>} */
      const body = { password };
      if (challenge.needs.includes('user')) body.user = userId;
      const result = await post(`/v1/signatures/challenges/${encodeURIComponent(challenge.challengeId)}:confirm`, body);
      dialog.current?.close();
      onDone(result);
    } catch (e) {
      setError(describe(e));
      setPassword('');
    } finally {
      setBusy(false);
    }
  }

  return html`<dialog ref=${dialog} class="signature" aria-labelledby="sig-title"
      onCancel=${(/** @type {Event} */ ev) => { ev.preventDefault(); onCancel(); }}>
    <form method="dialog" onSubmit=${(/** @type {Event} */ ev) => { ev.preventDefault(); confirm(); }}>
      <h2 id="sig-title">${t('sign.title')}</h2>
      <p class="hint">${t('sign.explain')}</p>
      <div class="field">
        <label for="sig-meaning">${t('sign.meaning')}</label>
        <select id="sig-meaning" value=${meaning}
          onChange=${(/** @type {Event} */ ev) => setMeaning(/** @type {HTMLSelectElement} */ (ev.target).value)}>
          ${meanings.map((m) => html`<option value=${m}>${t('meaning.' + m)}</option>`)}
        </select>
      </div>
      <figure class="manifestation">
        <figcaption>${t('sign.text')}</figcaption>
        <blockquote lang="en" id="sig-text">${challenge ? challenge.text : t('common.loading')}</blockquote>
      </figure>
      ${challenge && challenge.needs.includes('user')
        ? html`<${Field} id="sig-user" label=${t('signin.user')} value=${userId} onInput=${setUserId} autocomplete="username" />`
        : null}
      <${Field} id="sig-password" label=${t('signin.password')} type="password" value=${password}
        onInput=${setPassword} autofocus=${true} autocomplete="current-password" />
      <${ErrorText} error=${error} id="sig-error" />
      <div class="actions">
        <button type="button" class="secondary" onClick=${() => { dialog.current?.close(); onCancel(); }}>${t('common.cancel')}</button>
        <button type="submit" class="primary" disabled=${!challenge || busy || !password}>${t('sign.confirm')}</button>
      </div>
    </form>
  </dialog>`;
}

/**
 * @param {{status: string}} props a status as the schema names it ("awaitingRelease")
 */
export function Status({ status }) {
  return statusBadge(status);
}

/**
 * The same badge as a plain call, for long tables (no component per cell).
 * @param {string} status
 */
export function statusBadge(status) {
  return html`<span class=${'status s-' + status}>${t('status.' + status)}</span>`;
}

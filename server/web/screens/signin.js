// Sign in: a person's id and password. A wrong password and a locked account are told apart
// (the server's code and its sentence), with what to do next.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { ApiError, post, setCsrfToken } from '../api.js';
import { ErrorText, Field, describe } from '../components.js';
import { t } from '../i18n.js';

/**
 * @param {{onSignedIn: (session: {user: string, name: string, roles: string[]}) => void}} props
 */
export function SignIn({ onSignedIn }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(/** @type {{text: string, detail: string} | null} */ (null));
  const [busy, setBusy] = useState(false);

  async function submit() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const s = await post('/v1/session', { user, password });
      setCsrfToken(s.csrfToken);
      onSignedIn({ user: s.user, name: s.name, roles: s.roles });
    } catch (e) {
      setPassword('');
      setError(explain(e));
    } finally {
      setBusy(false);
    }
  }

  return html`<main class="signin">
    <form onSubmit=${(/** @type {Event} */ ev) => { ev.preventDefault(); submit(); }} aria-labelledby="signin-title">
      <h1 id="signin-title">${t('signin.title')}</h1>
      <p class="hint">${t('signin.hint')}</p>
      <${Field} id="signin-user" label=${t('signin.user')} value=${user} onInput=${setUser}
        autofocus=${true} autocomplete="username" />
      <${Field} id="signin-password" label=${t('signin.password')} type="password" value=${password}
        onInput=${setPassword} autocomplete="current-password" />
      <${ErrorText} error=${error} id="signin-error" />
      <button type="submit" class="primary big" disabled=${busy || !user || !password}>${t('signin.submit')}</button>
    </form>
  </main>`;
}

/**
 * The reason sign-in failed, and what to do about it.
 * @param {unknown} e
 */
function explain(e) {
  if (e instanceof ApiError) {
    if (e.status === 401) {
      // The server's sentences (docs/api.md): "the account is locked until ...", "the
      // account is disabled; ...", else a wrong id or password.
      const locked = /is locked until/.test(e.message);
      const disabled = /is disabled/.test(e.message);
      const key = locked ? 'signin.locked' : disabled ? 'signin.disabled' : 'signin.wrong';
      return { text: t(key), detail: locked || disabled ? e.message : '' };
    }
    if (e.status === 429) return { text: t('signin.tooMany'), detail: e.message };
  }
  return describe(e);
}

// The /v1 API as the screens use it: the same public endpoints as any other client, with the
// session cookie and the CSRF token a signed-in write must carry.

/** An answer other than 2xx, or no answer at all (status 0: the server was not reached). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {string} [field]
   */
  constructor(status, code, message, field = '') {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
  /** Whether the server never answered (so the request may be retried unchanged). */
  get unreachable() {
    return this.status === 0;
  }
}

const CSRF_KEY = 'custody.csrf';

/** @returns {string} the CSRF token of this tab's session, or '' */
export function csrfToken() {
  return sessionStorage.getItem(CSRF_KEY) ?? '';
}

/** @param {string} token */
export function setCsrfToken(token) {
  if (token) sessionStorage.setItem(CSRF_KEY, token);
  else sessionStorage.removeItem(CSRF_KEY);
}

/** @type {(() => void) | null} */
let onSignedOut = null;
/** @param {() => void} f called when the server says the session is gone (401) */
export function whenSignedOut(f) {
  onSignedOut = f;
}

/**
 * @param {string} method
 * @param {string} path  "/v1/..."
 * @param {unknown} [body]  sent as JSON
 * @returns {Promise<any>} the JSON answer
 */
export async function call(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'unreachable', 'the server cannot be reached');
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    answer = null;
  }
  if (!response.ok) {
    const e = answer?.error ?? {};
    // The credentials themselves were refused (no session, or it ended): sign in again. A
    // wrong password in a signature dialog is a 401 too, but about the password.
    if (response.status === 401 && (e.field === 'session' || e.field === 'authorization') && onSignedOut) onSignedOut();
    throw new ApiError(response.status, e.code ?? 'http_' + response.status, e.message ?? response.statusText, e.field ?? '');
  }
  return answer;
}

/** @param {string} path */
export const get = (path) => call('GET', path);

/**
 * @param {string} path
 * @param {unknown} body
 */
export const post = (path, body) => call('POST', path, body);

/** A fresh command id: the key that makes a retry of the same command a duplicate. */
export function newCommandId() {
  return 'ui-' + crypto.randomUUID();
}

/**
 * @typedef {{type: string, commandId: string, data: Record<string, unknown>, occurredAt?: string}} Command
 */

/**
 * Submits one command; resolves with the result ({seq, hash, commandId, duplicate?}).
 * @param {Command} command
 */
export function submit(command) {
  return post('/v1/commands', command);
}

/**
 * @param {string} path
 * @param {Record<string, string | number | undefined>} params
 */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** @param {string} id */
export const segment = (id) => encodeURIComponent(id);

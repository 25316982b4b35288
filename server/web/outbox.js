// Commands made on the floor terminal go through this outbox. Each is kept in the browser
// (localStorage) with its command id until the server has answered it, and sent in the order
// it was made. When the server cannot be reached the command waits, a banner says so, and the
// outbox retries; the command id makes a command that did arrive before the connection broke
// a duplicate on the server, never a second record. Nothing is lost and nothing is doubled.
import { submit } from './api.js';

/**
 * @typedef {{command: import('./api.js').Command, madeAt: string, label: string}} Entry
 * @typedef {{entry: Entry, result?: any, error?: import('./api.js').ApiError}} Outcome
 */

export class Outbox {
  /** @param {string} owner whose commands these are (one outbox per person and browser) */
  constructor(owner) {
    this.key = 'custody.outbox.' + owner;
    /** @type {Entry[]} */
    this.entries = JSON.parse(localStorage.getItem(this.key) ?? '[]');
    this.online = true;
    /** @type {Promise<void> | null} */
    this.flushing = null;
    /** @type {Map<string, {resolve: (v: {queued: boolean, result?: any}) => void, reject: (e: unknown) => void}>} */
    this.waiters = new Map();
    /** @type {Outcome[]} commands refused when sent after a reconnection */
    this.refused = [];
    /** @type {Set<(o: Outbox) => void>} */
    this.listeners = new Set();
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.retryMs = 1000;
  }

  get pending() {
    return this.entries.length;
  }

  /** @param {(o: Outbox) => void} f */
  subscribe(f) {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  save() {
    localStorage.setItem(this.key, JSON.stringify(this.entries));
    for (const f of this.listeners) f(this);
  }

  /**
   * Keeps the command, then sends what waits. Resolves when this command is answered, or
   * with `queued: true` when the server cannot be reached (it is sent later); rejects with
   * the server's refusal.
   * @param {import('./api.js').Command} command
   * @param {string} label what the person did, for the list of waiting commands
   * @returns {Promise<{queued: boolean, result?: any}>}
   */
  async send(command, label) {
    this.entries.push({ command, madeAt: new Date().toISOString(), label });
    this.save();
    const answered = new Promise((resolve, reject) => {
      this.waiters.set(command.commandId, { resolve, reject });
    });
    await this.flush();
    if (this.waiters.has(command.commandId)) {
      this.waiters.delete(command.commandId);
      return { queued: true };
    }
    return /** @type {Promise<{queued: boolean, result?: any}>} */ (answered);
  }

  /**
   * @param {Entry} entry
   * @param {any} result
   * @param {import('./api.js').ApiError} [error]
   */
  settle(entry, result, error) {
    this.entries.shift();
    this.setOnline(true);
    const waiter = this.waiters.get(entry.command.commandId);
    this.waiters.delete(entry.command.commandId);
    if (waiter) {
      if (error) waiter.reject(error);
      else waiter.resolve({ queued: false, result });
    } else if (error) {
      // Sent after the connection came back, and refused: the screen lists it.
      this.refused.push({ entry, error });
    }
    this.save();
  }

  /** Sends the waiting commands in order until one cannot reach the server. */
  async flush() {
    if (this.flushing) return this.flushing;
    clearTimeout(this.timer);
    this.flushing = (async () => {
      while (this.entries.length > 0) {
        const entry = this.entries[0];
        try {
          this.settle(entry, await submit(entry.command));
        } catch (e) {
          const error = /** @type {import('./api.js').ApiError} */ (e);
          if (error.unreachable || error.status === 503) {
            this.setOnline(false);
            this.timer = setTimeout(() => this.flush(), this.retryMs);
            return;
          }
          this.settle(entry, null, error);
        }
      }
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  /** @param {boolean} online */
  setOnline(online) {
    if (this.online === online) return;
    this.online = online;
    for (const f of this.listeners) f(this);
  }
}

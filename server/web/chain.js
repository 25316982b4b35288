// Checks, in the browser, the records an audit screen shows: each record's hash is
// recomputed with WebCrypto from the bytes it is computed over (RFC 6962 leaf: SHA-256 of a
// 0x00 byte and the record's leaf form), the payload's digest from the payload's bytes, and
// the leaf is checked to hold what the screen shows of the record (its command id, actor,
// stream, type, payload digest and the hash it chains to). Where two records shown are
// consecutive in the log, the later must chain to the earlier's hash.
//
// This proves the shown fields and hashes agree with each other, computed here rather than
// by the server; that the records are in a log the site signed needs an inclusion proof
// against a signed checkpoint, which this does not check yet.
import { get } from './api.js';

/** @param {string} b64 */
function bytesOf(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; ++i) out[i] = s.charCodeAt(i);
  return out;
}

/** @param {ArrayBuffer} buf */
function hex(buf) {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** @param {string} h */
function fromHex(h) {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; ++i) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * @param {Uint8Array} hay
 * @param {Uint8Array} needle
 */
function contains(hay, needle) {
  if (needle.length === 0) return true;
  outer: for (let i = 0; i + needle.length <= hay.length; ++i) {
    for (let j = 0; j < needle.length; ++j) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Whether this page can hash (WebCrypto needs a secure context: HTTPS or loopback). */
export const canCheck = () => typeof crypto !== 'undefined' && !!crypto.subtle;

/**
 * @typedef {{seq: number, ok: boolean, problem: string}} Checked
 * @param {any[]} records as the API shows them (seq, hash, prevHash, payloadDigest, ...)
 * @returns {Promise<Map<number, Checked>>}
 */
export async function checkRecords(records) {
  const enc = new TextEncoder();
  /** @type {Map<number, Checked>} */
  const out = new Map();
  await Promise.all(records.map(async (r) => {
    const answer = await get(`/v1/records/${r.seq}?bytes=true`);
    const leaf = bytesOf(answer.leafBytes);
    const prefixed = new Uint8Array(leaf.length + 1);
    prefixed.set(leaf, 1);
    const problems = [];
    if (hex(await crypto.subtle.digest('SHA-256', prefixed)) !== r.hash) problems.push('hash');
    if (answer.payloadBytes !== undefined && hex(await crypto.subtle.digest('SHA-256', bytesOf(answer.payloadBytes))) !== r.payloadDigest) problems.push('payloadDigest');
    for (const [name, value] of /** @type {[string, Uint8Array][]} */ ([
      ['prevHash', fromHex(r.prevHash)], ['payloadDigest', fromHex(r.payloadDigest)],
      ['commandId', enc.encode(r.commandId)], ['actor', enc.encode(r.actor)],
      ['stream', enc.encode(r.stream)], ['type', enc.encode(r.type)]])) {
      if (!contains(leaf, value)) problems.push(name);
    }
    out.set(r.seq, { seq: r.seq, ok: problems.length === 0, problem: problems.join(', ') });
  }));
  const bySeq = new Map(records.map((r) => [r.seq, r]));
  for (const r of records) {
    const before = bySeq.get(r.seq - 1);
    const c = out.get(r.seq);
    if (before && c && r.prevHash !== before.hash) {
      c.ok = false;
      c.problem = [c.problem, 'chain'].filter(Boolean).join(', ');
    }
  }
  return out;
}

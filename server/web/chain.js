// Checks, in the browser, the records an audit screen shows: each record's hash is
// recomputed with WebCrypto from the bytes it is computed over (RFC 6962 leaf: SHA-256 of a
// 0x00 byte and the record's leaf form), the payload's digest from the payload's bytes, and
// the leaf is checked to hold what the screen shows of the record (its command id, actor,
// stream, type, payload digest and the hash it chains to). Where two records shown are
// consecutive in the log, the later must chain to the earlier's hash.
//
// Then each record's inclusion proof (GET /v1/proofs/inclusion, RFC 9162 section 2.1.3.2) is
// followed from that recomputed hash to the root of one signed checkpoint, and the
// checkpoint's Ed25519 signature is checked with the ledger's key (GET /v1/site), all here.
// A record passing every check is "verified": in the log the key signed, as shown. The key
// itself comes from the server: the screen shows its id for people to compare with the copy
// QA holds (node.pub).
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
  if (typeof h !== 'string' || h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new Error('not hex: ' + String(h).slice(0, 20));
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
 * @param {Uint8Array} left
 * @param {Uint8Array} right
 */
async function nodeHash(left, right) {
  const buf = new Uint8Array(65);
  buf[0] = 1;
  buf.set(left, 1);
  buf.set(right, 33);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}

/**
 * RFC 9162 2.1.3.2: whether `path` leads from `leaf` at `index` to `root` in a tree of `size`.
 * @param {number} index
 * @param {number} size
 * @param {Uint8Array} leaf
 * @param {Uint8Array[]} path
 * @param {Uint8Array} root
 */
export async function verifyInclusion(index, size, leaf, path, root) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.length === root.length && r.every((b, i) => b === root[i]);
}

/**
 * @typedef {{size: number, root: Uint8Array, signed: boolean | null, keyId: string, error?: string}} Checkpoint
 * A checkpoint note (C2SP signed note): its size and root, and whether the ledger's key
 * (`vkey`: name+keyid+base64(0x01||key)) signed it (null: this browser has no Ed25519).
 * @param {string} note
 * @param {string} vkey
 * @returns {Promise<Checkpoint>}
 */
export async function openCheckpoint(note, vkey) {
  const blank = note.indexOf('\n\n');
  const text = note.slice(0, blank + 1);
  const lines = text.split('\n');
  const size = Number(lines[1]);
  const root = bytesOf(lines[2]);
  // name "+" hex8 "+" base64: the base64 may itself hold '+', the name may not.
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  const [name, keyId, keyB64] = [vkey.slice(0, first), vkey.slice(first + 1, second), vkey.slice(second + 1)];
  const raw = bytesOf(keyB64 ?? '');
  const key = raw.slice(1);
  // The key id shown for people to compare is the one this key has, not the one the text
  // claims: SHA-256(name || "\n" || 0x01 || key), first 4 bytes.
  const named = new TextEncoder().encode(name + '\n');
  const idInput = new Uint8Array(named.length + raw.length);
  idInput.set(named);
  idInput.set(raw, named.length);
  const realId = hex((await crypto.subtle.digest('SHA-256', idInput)).slice(0, 4));
  if (raw.length !== 33 || raw[0] !== 1 || realId !== keyId) {
    return { size, root, signed: false, keyId: realId, error: 'the key is not an Ed25519 verifier key with that id' };
  }
  // The checkpoint is of this ledger (its origin is the key's name).
  if (lines[0] !== name) return { size, root, signed: false, keyId, error: 'a checkpoint of another log' };
  let signed = false;
  for (const line of note.slice(blank + 2).split('\n')) {
    const m = line.match(/^\u2014 (\S+) (\S+)$/);
    if (!m || m[1] !== name) continue;
    const sig = bytesOf(m[2]);
    if ([...sig.slice(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('') !== keyId) continue;
    try {
      const k = await crypto.subtle.importKey('raw', key, { name: 'Ed25519' }, false, ['verify']);
      signed = await crypto.subtle.verify({ name: 'Ed25519' }, k, sig.slice(4), new TextEncoder().encode(text));
    } catch (e) {
      // No Ed25519 in this browser: say so. Anything else is a failed check.
      const unsupported = e instanceof DOMException && e.name === 'NotSupportedError';
      return { size, root, signed: unsupported ? null : false, keyId, error: String(e) };
    }
    if (signed) break;
  }
  return { size, root, signed, keyId, error: '' };
}

/**
 * @typedef {{seq: number, ok: boolean, problem: string, proven: boolean}} Checked
 * @typedef {{records: Map<number, Checked>, checkpoint: Checkpoint | null}} CheckResult
 * @param {any[]} records as the API shows them (seq, hash, prevHash, payloadDigest, ...)
 * @param {string} vkey the ledger's verifier key (GET /v1/site publicKey)
 * @returns {Promise<CheckResult>}
 */
export async function checkRecords(records, vkey) {
  const enc = new TextEncoder();
  /** @type {Map<number, Checked>} */
  const out = new Map();
  // One signed tree for every proof: the checkpoint the first answer names.
  const newest = records.reduce((m, r) => Math.max(m, r.seq), 0);
  const first = newest > 0 ? (await get(`/v1/proofs/inclusion?seq=${newest}`)).proof : null;
  const checkpoint = first ? await openCheckpoint(first.checkpoint, vkey) : null;
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
    // The proof starts from the hash recomputed here, not from the one the server states.
    let proven = false;
    if (checkpoint) {
      const p = r.seq === first.seq ? first : (await get(`/v1/proofs/inclusion?seq=${r.seq}&treeSize=${checkpoint.size}`)).proof;
      proven = await verifyInclusion(r.seq - 1, checkpoint.size, new Uint8Array(await crypto.subtle.digest('SHA-256', prefixed)),
        p.path.map(fromHex), checkpoint.root);
      if (!proven) problems.push('proof');
    }
    out.set(r.seq, { seq: r.seq, ok: problems.length === 0, problem: problems.join(', '), proven });
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
  return { records: out, checkpoint };
}

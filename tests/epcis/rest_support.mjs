// What the EPCIS REST test stands on: a ledger with a partner and two API tokens, a real
// `custody serve` on 127.0.0.1, and Stoplight's Prism in front of its `/epcis` binding as a
// validation proxy over GS1's OpenAPI document (tests/fixtures/epcis/rest/openapi.json), with
// `--errors`: an exchange that breaks GS1's document is answered by Prism itself, marked with
// an `sl-violations` header, and `call()` fails the test with Prism's words.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const binary = process.env.CUSTODY_BINARY ?? 'build/dev/tools/custody';
const root = fileURLToPath(new URL('../../', import.meta.url));
/** GS1's EPCIS 2.0 REST binding, as GS1 publishes it (README.md beside it). */
export const SPEC = join(root, 'tests/fixtures/epcis/rest/openapi.json');
const PRISM = join(root, 'node_modules/.bin/prism');

/** The partner whose EPCIS client the test plays. */
export const PARTNER = 'supplier-a';

/**
 * GS1's document as Prism is given it. The fixture stays verbatim; the copy mends four faults
 * of the document, each of which fails every exchange it touches whatever the server does
 * (each repair checks the fault is still there, so a newer document drops it):
 * - the header parameter `GS1-Extensions` has a schema of type `object`, on which Prism
 *   crashes at the first request: a header is a string;
 * - the `Link` header's schema is `format: uri`, which its own example
 *   (`<https://...>; rel="next"`, RFC 8288) is not: the format is dropped;
 * - a capture job is `allOf` its properties and `oneOf` [{errors}, {errorFile}], two schemas
 *   without `required` that a job matches both of unless one member is wrong, so a right job
 *   fails and a wrong one can pass: `allOf`, each member checked where it is present;
 * - the 409 answer's problem demands `status` 406 (`enum: [406]`), against its own example
 *   (`"status": 409`) and RFC 7807 (the status is the answer's): 409.
 * @param {string} dir
 */
export function prismDocument(dir) {
  const doc = JSON.parse(readFileSync(SPEC, 'utf8'));
  const schemas = doc.components.schemas;
  assert.equal(schemas['GS1-Extensions'].type, 'object', 'GS1 has mended GS1-Extensions: drop this repair');
  schemas['GS1-Extensions'] = { type: 'string' };
  assert.equal(schemas.Link.format, 'uri', 'GS1 has mended Link: drop this repair');
  delete schemas.Link.format;
  const job = schemas.CaptureJob.allOf[1];
  assert.ok(Array.isArray(job.oneOf), 'GS1 has mended CaptureJob: drop this repair');
  job.allOf = job.oneOf;
  delete job.oneOf;
  for (const media of Object.values(doc.components.responses['409ResourceAlreadyExistsException'].content)) {
    const status = media.schema.allOf[0].properties.status;
    assert.deepEqual(status.enum, [406], 'GS1 has mended its 409 answer: drop this repair');
    status.enum = [409];
    status.default = 409;
  }
  const file = join(dir, 'epcis-openapi.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

/**
 * @param {string[]} args
 * @param {object} [options]
 */
function custody(args, options = {}) {
  return execFileSync(binary, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...options });
}

/**
 * A child process that is ready once a line of its stdout matches `ready`; its output is kept
 * (the last 256 KiB) for the failure messages.
 */
class Child {
  /**
   * @param {string} name
   * @param {string} command
   * @param {string[]} args
   */
  constructor(name, command, args) {
    this.name = name;
    this.output = '';
    this.process = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (/** @type {Buffer} */ d) => {
      this.output = (this.output + d).slice(-(256 << 10));
    };
    this.process.stdout?.on('data', keep);
    this.process.stderr?.on('data', keep);
  }

  /**
   * Resolves with the match of the first stdout line `ready` matches.
   * @param {RegExp} ready
   * @param {number} timeoutMs
   * @returns {Promise<RegExpMatchArray>}
   */
  ready(ready, timeoutMs) {
    const lines = createInterface({ input: /** @type {import('node:stream').Readable} */ (this.process.stdout) });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      lines.on('line', (line) => {
        // Prism colours its log on a terminal only; take no chances.
        const m = line.replace(/\x1b\[[0-9;]*m/g, '').match(ready);
        if (m) {
          clearTimeout(timer);
          lines.close();
          resolve(m);
        }
      });
      this.process.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code ?? signal}) before it was ready:\n${this.output}`));
      });
    });
  }

  /** SIGTERM, and SIGKILL if it has not gone in 10 s. */
  async stop() {
    const p = this.process;
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * The ledger, the server and the two proxies. `proxy` validates requests and responses;
 * `responsesOnly` (`--validate-request=false`) forwards whatever it is sent and validates the
 * answer, for the requests the test makes wrong on purpose, which Prism would otherwise
 * refuse itself (422) and never forward.
 */
export class EpcisServer {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'custody-epcis-rest-'));
    this.ledger = join(this.dir, 'ledger');
    /** API tokens: `integration` may capture, `auditor` may only read. */
    this.tokens = { integration: '', auditor: '' };
    /** `custody serve`'s EPCIS base, http://127.0.0.1:PORT/epcis */
    this.upstream = '';
    /** Prism, validating requests and responses. */
    this.proxy = '';
    /** Prism, validating responses only. */
    this.responsesOnly = '';
    /** @type {Child[]} */
    this.children = [];
  }

  /** Makes the ledger, its partner and tokens, and starts the server and the proxies. */
  async start() {
    custody(['init', this.ledger, '--origin', 'epcis-rest-test.example/line-1']);
    const party = { type: 'party.define', commandId: 'epcis-rest-party-1', actor: 'user:qa-setup',
      data: { party: PARTNER, name: 'Supplier A', role: 'supplier', gln: '9521234000006' } };
    const defined = JSON.parse(custody(['append', this.ledger], { input: JSON.stringify(party) + '\n' }));
    assert.equal(defined.ok, true, JSON.stringify(defined));
    for (const [id, role] of [['supplier-a-epcis', 'integration'], ['audit-desk', 'auditor']]) {
      const made = JSON.parse(custody(['token', 'create', this.ledger, '--id', id, '--role', role, '--description', `EPCIS REST test (${role})`]));
      assert.equal(made.ok, true, JSON.stringify(made));
      this.tokens[/** @type {'integration' | 'auditor'} */ (role)] = made.token;
    }

    const server = new Child('custody serve', binary, ['serve', this.ledger, '--listen', '127.0.0.1:0']);
    this.children.push(server);
    const [first] = await server.ready(/^\{.*\}$/, 30000);
    this.upstream = JSON.parse(first).serving + '/epcis';

    const doc = prismDocument(this.dir);
    const prism = (/** @type {string} */ name, /** @type {string[]} */ extra) => {
      const child = new Child(name, process.execPath, [PRISM, 'proxy', doc, this.upstream, '--errors',
        '--host', '127.0.0.1', '--port', '0', ...extra]);
      this.children.push(child);
      return child.ready(/Prism is listening on (http:\/\/127\.0\.0\.1:\d+)/, 120000);
    };
    const [strict, lenient] = await Promise.all([prism('prism (requests and responses)', []),
      prism('prism (responses only)', ['--validate-request=false'])]);
    this.proxy = strict[1];
    this.responsesOnly = lenient[1];
  }

  async stop() {
    await Promise.all(this.children.map((c) => c.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The last lines of every child's output, for a failure message. */
  logs() {
    return this.children.map((c) => `--- ${c.name}\n${c.output.split('\n').slice(-40).join('\n')}`).join('\n');
  }
}

/**
 * @typedef {object} Answer
 * @property {number} status
 * @property {Headers} headers
 * @property {string} text
 * @property {any} body the JSON body, or null
 */

/**
 * Fails when Prism marked the exchange (`sl-violations`: the request or the response breaks
 * GS1's document), or answered itself (a problem that is not an `epcisException:`, such as
 * Prism's VIOLATIONS or an unreachable upstream).
 * @param {string} label
 * @param {Response} response
 * @returns {Promise<Answer>}
 */
export async function inspect(label, response) {
  const text = await response.clone().text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const marked = response.headers.get('sl-violations');
  if (marked) {
    let violations = marked;
    try {
      violations = JSON.parse(marked).map((/** @type {any} */ v) => `  ${v.severity} ${(v.location ?? []).join('.')}: ${v.message}`).join('\n');
    } catch {
      // "Too many violations! ..." is not JSON
    }
    assert.fail(`${label}: Prism found the exchange breaks GS1's OpenAPI document (answer ${response.status}):\n${violations}\nbody: ${text.slice(0, 2000)}`);
  }
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('problem+json') && !(typeof body?.type === 'string' && body.type.startsWith('epcisException:'))) {
    assert.fail(`${label}: not an EPCIS problem (Prism's own answer?), ${response.status}: ${text.slice(0, 2000)}`);
  }
  return { status: response.status, headers: response.headers, text, body };
}

/**
 * One request through a proxy, inspected.
 * @param {string} base a proxy's URL
 * @param {string} method
 * @param {string} path below the EPCIS base, with its query
 * @param {{token?: string, headers?: Record<string, string>, body?: unknown}} [options]
 */
export async function call(base, method, path, { token, headers = {}, body } = {}) {
  /** @type {Record<string, string>} */
  const h = { accept: 'application/json', ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  const response = await fetch(base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  return inspect(`${method} ${path}`, response);
}

/**
 * The target of a `Link: <...>; rel="next"` header, as a path below the EPCIS base (the
 * link may be absolute, naming the server, or relative: either way it names `.../events`
 * or the like with its query), or null on the last page.
 * @param {Headers} headers
 * @param {string} requested the path that was asked for
 */
export function nextPage(headers, requested) {
  const link = headers.get('link');
  if (!link) return null;
  const next = link.split(/,(?=\s*<)/).map((l) => l.match(/^\s*<([^>]*)>(.*)$/))
    .find((m) => m && /;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?/.test(m[2]));
  if (!next) return null;
  const url = new URL(next[1], 'http://base.invalid/epcis' + requested);
  const at = url.pathname.lastIndexOf('/epcis/');
  const path = at >= 0 ? url.pathname.slice(at + '/epcis'.length) : url.pathname;
  return path + url.search;
}

/**
 * Every event of a query, following `rel="next"` to the last page.
 * @param {string} base a proxy's URL
 * @param {string} token
 * @param {string} path `/events?...`
 * @param {number} [maxPages]
 */
export async function allEvents(base, token, path, maxPages = 500) {
  /** @type {any[]} */
  const events = [];
  const pages = [];
  /** @type {string | null} */
  let at = path;
  while (at) {
    assert.ok(pages.length < maxPages, `more than ${maxPages} pages from ${path}`);
    const page = await call(base, 'GET', at, { token });
    assert.equal(page.status, 200, `GET ${at}: ${page.text}`);
    const list = queryResults(page.body, at).resultsBody.eventList;
    pages.push({ path: at, count: list.length, link: page.headers.get('link') });
    events.push(...list);
    at = nextPage(page.headers, at);
  }
  return { events, pages };
}

/**
 * Checks an EPCISQueryDocument's frame and returns its `queryResults`.
 * @param {any} doc
 * @param {string} label
 */
export function queryResults(doc, label) {
  assert.ok(doc && typeof doc === 'object', `${label}: no JSON body`);
  assert.equal(doc.type, 'EPCISQueryDocument', label);
  assert.equal(doc.schemaVersion, '2.0', label);
  assert.ok(doc['@context'], `${label}: no @context`);
  assert.ok(!Number.isNaN(Date.parse(doc.creationDate)), `${label}: creationDate ${doc.creationDate}`);
  const results = doc.epcisBody?.queryResults;
  assert.equal(results?.queryName, 'SimpleEventQuery', label);
  assert.ok(Array.isArray(results.resultsBody?.eventList), `${label}: no resultsBody.eventList`);
  return results;
}

/**
 * Checks an RFC 7807 problem of GS1's binding.
 * @param {Answer} answer
 * @param {number} status
 * @param {string} type e.g. `epcisException:ValidationException`
 * @param {string} label
 */
export function assertProblem(answer, status, type, label) {
  assert.equal(answer.status, status, `${label}: ${answer.text}`);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/, label);
  assert.equal(answer.body?.type, type, `${label}: ${answer.text}`);
  assert.equal(typeof answer.body?.title, 'string', `${label}: a problem has a title`);
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls a capture job (GET /capture/{id}, inspected) until it has stopped running.
 * @param {string} base a proxy's URL
 * @param {string} token
 * @param {string} location the 202's `Location`
 * @param {number} [timeoutMs]
 */
export async function finishedJob(base, token, location, timeoutMs = 30000) {
  const id = captureId(location);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await call(base, 'GET', `/capture/${encodeURIComponent(id)}`, { token });
    assert.equal(job.status, 200, `GET /capture/${id}: ${job.text}`);
    assert.equal(typeof job.body?.running, 'boolean', `capture job: ${job.text}`);
    if (!job.body.running) return job.body;
    assert.ok(Date.now() < deadline, `capture job ${id} still running after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * The capture job's id from a 202's `Location` (`/epcis/capture/{captureID}`).
 * @param {string | null} location
 */
export function captureId(location) {
  const m = (location ?? '').match(/^(?:https?:\/\/[^/]+)?\/epcis\/capture\/([^/?#]+)$/);
  assert.ok(m, `Location of a capture job: ${location}`);
  return decodeURIComponent(m[1]);
}

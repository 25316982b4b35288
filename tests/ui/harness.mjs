// A real `custody serve` on 127.0.0.1 over a generated plant, and Debian's chromium driven
// headless by playwright-core, for the browser tests. Every page a test opens is watched: a
// console error, an uncaught exception or a request to anywhere but the server fails the test.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

export const binary = process.env.CUSTODY_BINARY ?? 'build/dev/tools/custody';
export const chromiumPath = process.env.CUSTODY_CHROMIUM ?? '/usr/bin/chromium';
/** The outbox plugin of the same build as the binary. */
export const outboxPlugin = resolve(process.env.CUSTODY_OUTBOX ?? join(dirname(binary), '..', 'plugins', 'outbox', 'custody_outbox.so'));
/** Where screenshots go (a CI artefact). */
export const artefacts = process.env.CUSTODY_UI_ARTIFACTS ?? join(tmpdir(), 'custody-ui-artefacts');
export const PASSWORD = 'Tablet-Line-Seven-42';
// What the customer's EPCIS receipt (Plant.customerReceipt) is called: markup, shown as text.
export const RECEIPT_SOURCE = '<b>dc-receipts</b>.jsonld';

/** People of the test plant: id, printed name, roles. */
export const PEOPLE = {
  operator: { id: 'olga', name: 'Olga Petrova', role: 'operator' },
  supervisor: { id: 'sam', name: 'Sam Okafor', role: 'supervisor' },
  qa: { id: 'quinn', name: 'Quinn Harper', role: 'qa' },
  auditor: { id: 'ada', name: 'Ada Lindqvist', role: 'auditor' },
  admin: { id: 'alex', name: 'Alex Moreau', role: 'admin' },
  planner: { id: 'paula', name: 'Paula Nkemelu', role: 'planner' },
};

/** The test's own records, appended after the generated plant. */
const SEED = [
  { type: 'lot.receive', commandId: 'ui-seed-1', data: { lot: 'RAW-UI-1', material: 'baby-spinach', qty: 500, uom: 'kg', supplier: 'sunrise-produce', supplierLot: 'SUP-UI-1', location: 'raw-cooler', expires: '2027-12-31T00:00:00Z' } },
  { type: 'lot.receive', commandId: 'ui-seed-2', data: { lot: 'RAW-UI-2', material: 'baby-spinach', qty: 300, uom: 'kg', supplier: 'sunrise-produce', supplierLot: 'SUP-UI-2', location: 'raw-cooler', expires: '2027-12-31T00:00:00Z' } },
  { type: 'lot.release', commandId: 'ui-seed-3', data: { lot: 'RAW-UI-1' } },
  { type: 'lot.release', commandId: 'ui-seed-4', data: { lot: 'RAW-UI-2' } },
  // The flumes were last cleaned and calibrated in the generated days: sanitation cleans them
  // (a start needs a cleaning within 24 hours) and maintenance calibrates their probes.
  ...['flume-1', 'flume-2'].flatMap((equipment) => [
    { type: 'equipment.calibrate', commandId: `ui-seed-cal-${equipment}`, data: { equipment, until: '2027-12-31T00:00:00Z', certificate: `CAL-${equipment}-UI` } },
    { type: 'equipment.clean', commandId: `ui-seed-clean-${equipment}`, data: { equipment, procedure: 'SSOP-3 flume clean and sanitise, rev 5' } },
  ]),
  ...['WO-UI-1', 'WO-UI-2'].flatMap((wo, i) => [
    { type: 'wo.create', commandId: `ui-seed-wo-${i}`, data: { wo, material: 'baby-spinach-6oz', qty: 100, routing: 'rt-baby-spinach-6oz', due: '2027-12-31T00:00:00Z' } },
    { type: 'wo.release', commandId: `ui-seed-rel-${i}`, data: { wo } },
  ]),
].map((c) => ({ ...c, actor: 'user:planner-seed' }));
// The wash is a critical step: the operator who runs it and QA who verifies it are trained.
const TRAINING = ['olga', 'quinn'].map((id) => ({
  type: 'qualification.grant', commandId: `ui-seed-train-${id}`, actor: 'user:sam',
  data: { user: `user:${id}`, workCenter: 'wash', until: '2027-12-31T00:00:00Z', trainer: 'user:tess', procedure: 'SOP-WASH-01 rev 3' },
}));

/**
 * @param {string[]} args
 * @param {object} [options]
 */
function custody(args, options = {}) {
  return execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

export class Plant {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'custody-ui-'));
    this.ledger = join(this.dir, 'ledger');
    /** @type {import('node:child_process').ChildProcess | null} */
    this.server = null;
    this.url = '';
    /** @type {import('playwright-core').Browser | null} */
    this.browser = null;
    this.supplierLot = '';
    // The company's two other sites (tests/fixtures/enterprise), offered by the server's
    // enterprise view.
    this.enterprise = join(this.dir, 'ent');
    /** Problems seen on any page: console errors, page errors, requests elsewhere. */
    this.problems = /** @type {string[]} */ ([]);
  }

  /**
   * Makes the ledger (generated plant days, the test's records and `extra` ones) and its
   * people.
   * @param {{days?: number, extra?: object[]}} [options]
   */
  seed({ days = 4, extra = [] } = {}) {
    custody(['init', this.ledger, '--origin', 'ui-test.example/line-1']);
    // The generated days lie in the past: a ledger that takes history (no late entries).
    writeFileSync(join(this.ledger, 'config.json'),
      JSON.stringify({ site: { name: 'Salinas fresh-cut, line 1', timeZone: 'America/Los_Angeles' }, lateEntrySeconds: 0 }));
    const plant = custody(['gen', 'plant', '--days', String(days), '--seed', '11'], { maxBuffer: 1 << 28 });
    const file = join(this.dir, 'plant.ndjson');
    const ours = [...SEED, ...TRAINING, ...extra.map((c) => ({ actor: 'user:planner-seed', ...c }))];
    writeFileSync(file, plant + ours.map((c) => JSON.stringify(c)).join('\n') + '\n');
    const results = custody(['append', this.ledger, file], { maxBuffer: 1 << 28 }).trim().split('\n').slice(-ours.length);
    for (const line of results) {
      const r = JSON.parse(line);
      if (!r.ok && r.error.code !== 'invalid_state') throw new Error('seed refused: ' + line);
    }
    // A supplier's lot received in the generated plant, for the recall scenario.
    const received = plant.split('\n').find((l) => l.includes('"lot.receive"') && l.includes('"sunrise-produce"'));
    this.supplierLot = received ? JSON.parse(received).data.supplierLot : '';
    if (this.supplierLot) this.customerReceipt();
    // The import is done: from now on an entry long after the fact needs its reason.
    writeFileSync(join(this.ledger, 'config.json'),
      JSON.stringify({ site: { name: 'Salinas fresh-cut, line 1', timeZone: 'America/Los_Angeles' } }));
    const pw = join(this.dir, 'password');
    writeFileSync(pw, PASSWORD + '\n');
    chmodSync(pw, 0o600);
    for (const p of Object.values(PEOPLE)) {
      custody(['user', 'add', this.ledger, '--id', p.id, '--name', p.name, '--role', p.role, '--password-file', pw]);
    }
    const fixtures = join(dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'enterprise');
    for (const site of ['plant-a', 'plant-b']) {
      custody(['init', join(this.enterprise, site)]);
      custody(['append', join(this.enterprise, site), join(fixtures, site + '.ndjson')]);
    }
    // The fixture's sites, here their own ledgers rather than followers' copies.
    const config = JSON.parse(readFileSync(join(fixtures, 'enterprise.json'), 'utf8'));
    for (const site of config.sites) site.own = true;
    writeFileSync(join(this.enterprise, 'enterprise.json'), JSON.stringify(config));
    // An outbox to an ERP endpoint nobody answers (port 9 on loopback refuses): the server
    // hosts it, it holds the held lots back, and the admin screen shows its backlog.
    custody(['plugins', 'add', this.ledger, outboxPlugin, '--id', 'outbox.erp', '--grant-requested', '--config',
      JSON.stringify({ url: 'http://127.0.0.1:9/hooks/custody', types: ['lot.held'], alertAfterMs: 86400000 })]);
  }

  /**
   * The customer of the supplier lot's first shipment reports its receipt in EPCIS 2.0
   * (`custody epcis import`), naming the lot as custody's export names it; the document's
   * name holds markup, which every screen must show as text.
   */
  customerReceipt() {
    const recall = JSON.parse(custody(['recall', this.ledger, '--supplier', 'sunrise-produce', '--supplier-lot', this.supplierLot], { maxBuffer: 1 << 26 }));
    const shipment = recall.shipments[0];
    if (!shipment) return;
    const ours = join(this.dir, 'shipped.jsonld');
    custody(['epcis', 'export', this.ledger, '--lot', shipment.lot, '--out', ours]);
    const shipped = JSON.parse(readFileSync(ours, 'utf8')).epcisBody.eventList
      .find((/** @type {any} */ e) => e['custody:recordType'] === 'lot.shipped');
    const receipt = {
      '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
      type: 'EPCISDocument', schemaVersion: '2.0', creationDate: shipment.date,
      epcisBody: { eventList: [{
        type: 'ObjectEvent', eventTime: shipment.date, eventTimeZoneOffset: '-07:00', action: 'OBSERVE',
        bizStep: 'receiving', quantityList: [{ epcClass: shipped.quantityList[0].epcClass, quantity: shipment.qty }],
      }] },
    };
    const file = join(this.dir, 'receipt.jsonld');
    writeFileSync(file, JSON.stringify(receipt));
    custody(['epcis', 'import', this.ledger, file, '--partner', shipment.customer, '--source', RECEIPT_SOURCE]);
  }

  /** Starts `custody serve` on a free port and chromium. */
  async start() {
    // CUSTODY_WEB_ROOT=server/web tests the UI's files as they are on disk, without a rebuild.
    const web = process.env.CUSTODY_WEB_ROOT ? ['--web-root', process.env.CUSTODY_WEB_ROOT] : [];
    this.server = spawn(binary, ['serve', this.ledger, '--listen', '127.0.0.1:0', '--enterprise', this.enterprise, ...web], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    this.server.stderr?.on('data', (d) => { stderr += d; });
    const lines = createInterface({ input: /** @type {import('node:stream').Readable} */ (this.server.stdout) });
    const first = await new Promise((resolve, reject) => {
      lines.once('line', resolve);
      this.server?.once('exit', (code) => reject(new Error(`custody serve exited ${code}: ${stderr}`)));
    });
    this.url = JSON.parse(String(first)).serving;
    this.browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    mkdirSync(artefacts, { recursive: true });
    await this.settled();
  }

  /**
   * Waits until the log stops growing on its own. The plant's days lie in October: on its
   * first clock ticks the server records the expiry of every lot still in stock from then
   * (lot.expired and their exceptions); no test should see those arrive while it counts.
   */
  async settled() {
    const r = await fetch(this.url + '/v1/session', { method: 'POST', body: JSON.stringify({ user: PEOPLE.auditor.id, password: PASSWORD }) });
    if (!r.ok) throw new Error(`sign-in of the auditor: ${r.status} ${await r.text()}`);
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0];
    const head = async () => {
      const text = await (await fetch(this.url + '/metrics', { headers: { cookie } })).text();
      return Number(/^custody_head_seq (\d+)$/m.exec(text)?.[1] ?? -1);
    };
    for (let last = -1, now = await head(); now !== last; last = now, now = await head()) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
  }

  async stop() {
    await this.browser?.close();
    if (this.server && this.server.exitCode === null) {
      const exited = new Promise((resolve) => this.server?.once('exit', resolve));
      this.server.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * A new browser context (its own cookies and storage) with one page, watched.
   * @param {{locale?: string, bypassCSP?: boolean}} [options]
   */
  async page(options = {}) {
    if (!this.browser) throw new Error('not started');
    const context = await this.browser.newContext({ viewport: { width: 1280, height: 860 }, locale: options.locale ?? 'en-US', bypassCSP: options.bypassCSP ?? false });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' && !expectedConsole(m.text())) this.problems.push(`console error on ${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.problems.push(`uncaught on ${page.url()}: ${e.message}`));
    page.on('response', (r) => recordExchange(r));
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(this.url + '/') && !u.startsWith(this.url.replace('http', 'ws') + '/') && !u.startsWith('data:')) {
        this.problems.push(`request outside the server: ${u}`);
      }
    });
    return page;
  }

  /**
   * Opens the UI and signs in as `who`.
   * @param {keyof typeof PEOPLE} who
   * @param {{locale?: string, bypassCSP?: boolean}} [options]
   */
  async signedIn(who, options) {
    const page = await this.page(options);
    await page.goto(this.url + '/');
    await page.fill('#signin-user', PEOPLE[who].id);
    await page.fill('#signin-password', PASSWORD);
    await page.click('form button[type=submit]');
    // Signed in, or told why not (then say so, rather than time out).
    await page.waitForSelector('header.top nav, #signin-error:not(:empty)', { timeout: 60000 });
    if (await page.locator('header.top nav').count() === 0) {
      throw new Error(`sign-in of ${who} refused: ${await page.locator('#signin-error').textContent()}`);
    }
    return page;
  }

  /**
   * A signed-in API client for checks the test makes outside the browser.
   * @param {keyof typeof PEOPLE} who
   */
  async api(who) {
    const r = await fetch(this.url + '/v1/session', { method: 'POST', body: JSON.stringify({ user: PEOPLE[who].id, password: PASSWORD }) });
    if (!r.ok) throw new Error(`sign-in of ${who}: ${r.status} ${await r.text()}`);
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0];
    const { csrfToken } = await r.json();
    const url = this.url;
    return {
      /** @param {string} path */
      async get(path) {
        const res = await fetch(url + path, { headers: { cookie } });
        return { status: res.status, body: await res.json() };
      },
      /** @param {string} path @param {unknown} body */
      async post(path, body) {
        const res = await fetch(url + path, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken }, body: JSON.stringify(body) });
        return { status: res.status, body: await res.json() };
      },
    };
  }
}

/**
 * The browser logs a failed request's status as a console error by itself; those the test
 * provokes on purpose (a wrong password, a forced request, a cut connection) are answers,
 * not faults.
 * @param {string} text
 */
function expectedConsole(text) {
  return /Failed to load resource: (the server responded with a status of (401|403|404|409|422)|net::ERR_INTERNET_DISCONNECTED)/.test(text);
}

/**
 * Every API answer a page receives, for the check against the OpenAPI document (the same
 * lines as the C++ API tests write: tests/server/server_support.cc).
 * @param {import('playwright-core').Response} response
 */
async function recordExchange(response) {
  const file = process.env.CUSTODY_API_EXCHANGES;
  const url = new URL(response.url());
  if (!file || !(url.pathname.startsWith('/v1/') || url.pathname === '/healthz') || url.pathname === '/v1/stream') return;
  let body = '';
  try {
    body = await response.text();
  } catch {
    return;  // the page went away before the body was read
  }
  const line = { method: response.request().method(), target: url.pathname + url.search, status: response.status(), contentType: response.headers()['content-type'] ?? '', body };
  appendFileSync(file, JSON.stringify(line) + '\n');
}

/**
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
export async function screenshot(page, name) {
  await page.screenshot({ path: join(artefacts, name + '.png'), fullPage: true });
}

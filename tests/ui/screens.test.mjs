// The screens in a real browser against a real server, each scenario as the role that does
// it (issue: the web UI). Screenshots go to $CUSTODY_UI_ARTIFACTS.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PASSWORD, PEOPLE, Plant, RECEIPT_SOURCE, binary, screenshot } from './harness.mjs';

const plant = new Plant();
before(async () => {
  plant.seed();
  await plant.start();
});
after(async () => {
  await plant.stop();
});

/**
 * @param {import('playwright-core').Page} page
 * @param {string} selector
 */
const text = async (page, selector) => (await page.locator(selector).first().textContent()) ?? '';

test('sign-in tells a wrong password from a locked account, and what to do', async () => {
  const page = await plant.page();
  await page.goto(plant.url + '/');
  await screenshot(page, 'sign-in');
  await page.fill('#signin-user', PEOPLE.supervisor.id);
  await page.fill('#signin-password', 'not the password');
  await page.click('form button[type=submit]');
  await page.waitForSelector('#signin-error');
  assert.match(await text(page, '#signin-error'), /Wrong user id or password\. Check both and try again/);
  assert.equal(await page.inputValue('#signin-password'), '', 'the wrong password is cleared');

  // Five failures lock the auditor's account; the sixth attempt is told so, with the time.
  for (let i = 0; i < 6; ++i) {
    await page.fill('#signin-user', PEOPLE.auditor.id);
    await page.fill('#signin-password', 'still wrong ' + i);
    await page.click('form button[type=submit]');
    // Answered: the password field is cleared and the reason shown.
    await page.waitForFunction(() => /** @type {HTMLInputElement} */ (document.querySelector('#signin-password')).value === '' && document.querySelector('#signin-error'));
  }
  assert.match(await text(page, '#signin-error'), /This account is locked.*ask an administrator to unlock it/s);
  assert.match(await text(page, '#signin-error'), /locked until 20\d\d-/);
  await screenshot(page, 'sign-in-locked');

  await page.fill('#signin-user', PEOPLE.supervisor.id);
  await page.fill('#signin-password', PASSWORD);
  await page.click('form button[type=submit]');
  await page.waitForSelector('header.top nav', { timeout: 60000 }); // as the harness's sign-ins
  assert.match(await text(page, 'header.top .who'), /Sam Okafor \(supervisor\)/);
  await page.waitForSelector('header.top .zone:text("America/Los_Angeles")');
});

test('an operator runs a work order from scans; the supervisor\'s WIP board follows live', async () => {
  const supervisor = await plant.signedIn('supervisor');
  await supervisor.goto(plant.url + '/#/boards');
  const row = 'tr[data-wo="WO-UI-1"]';
  await supervisor.waitForSelector(row);
  await supervisor.waitForSelector('.live:text("Live")');
  assert.match(await text(supervisor, row), /wash\s*pending/);
  await supervisor.evaluate(() => { /** @type {any} */ (window).notReloaded = true; });

  const operator = await plant.signedIn('operator');
  assert.equal(await operator.locator('h1').textContent(), 'Floor terminal');
  // A keyboard-wedge scanner types the label and presses Enter.
  await operator.fill('#wo', 'WO-UI-1');
  await operator.press('#wo', 'Enter');
  await operator.waitForSelector('#order-title');
  assert.match(await text(operator, '#order-title'), /WO-UI-1/);
  await operator.locator('.choices .choice').first().click();
  const equipment = await operator.inputValue('#equipment');
  assert.ok(equipment.length > 0);
  await operator.click('button:text("Start the step")');
  await operator.waitForSelector('p.done:text("Recorded: start wash")');
  await supervisor.waitForSelector(`${row} :text("running")`, { timeout: 5000 });
  assert.match(await text(supervisor, row), new RegExp(equipment));

  // A lot that does not exist: the rule's error shows beside the lot field; nothing written.
  await operator.fill('#lot', 'NO-SUCH-LOT');
  await operator.press('#lot', 'Enter');
  await operator.fill('#qty', '20');
  await operator.press('#qty', 'Enter');
  await operator.waitForSelector('#lot-error');
  assert.match(await text(operator, '#lot-error'), /NO-SUCH-LOT/);
  await screenshot(operator, 'floor-error-beside-field');

  await operator.fill('#lot', 'RAW-UI-1');
  await operator.press('#lot', 'Enter');
  await operator.fill('#qty', '20');
  await operator.press('#qty', 'Enter');
  await operator.waitForSelector('p.done:text("consume 20 of lot RAW-UI-1")');
  await operator.fill('#good', '17');
  await operator.fill('#scrap', '1');
  // The scrap's reason from QA's defect catalogue: reasons that do not add up to the scrap are
  // refused beside them, and nothing is written.
  await operator.selectOption('#reason-defect', 'bruised');
  await operator.fill('#reason-qty', '2');
  await operator.click('button:text("Add reason")');
  await operator.click('button:text("Report")');
  await operator.waitForSelector('#reasons-error');
  assert.match(await text(operator, '#reasons-error'), /add up to 2/);
  await operator.click('li[data-defect="bruised"] button');
  await operator.fill('#reason-qty', '1');
  await operator.press('#reason-qty', 'Enter');
  await operator.waitForSelector('li[data-defect="bruised"]');
  await screenshot(operator, 'floor-scrap-reasons');
  await operator.click('button:text("Report")');
  await operator.waitForSelector('p.done:text("report 17 good, 1 scrap")');
  const qa = await plant.api('qa');
  const history = (await qa.get('/v1/work-orders/WO-UI-1')).body.history;
  const reports = history.filter((/** @type {any} */ r) => r.type === 'op.reported');
  assert.equal(reports.length, 1, 'the refused report wrote nothing');
  assert.deepEqual(reports[0].payload.defects, [{ defect: 'bruised', qty: 1 }]);
  await screenshot(operator, 'floor-terminal');
  await operator.click('button:text("Complete step wash")');
  await operator.waitForSelector('p.done:text("Recorded: complete wash")');
  await supervisor.waitForSelector(`${row} :text("dry")`, { timeout: 5000 });
  assert.equal(await supervisor.evaluate(() => /** @type {any} */ (window).notReloaded), true, 'the board was not reloaded');
  await screenshot(supervisor, 'wip-board');

  const api = await plant.api('supervisor');
  const wo = (await api.get('/v1/work-orders/WO-UI-1')).body.state;
  assert.equal(wo.steps[0].status, 'completed');
  assert.equal(wo.steps[0].good, 17);
  assert.equal(wo.steps[0].scrap, 1);
  assert.deepEqual(wo.steps[0].operators, ['user:olga']);
  const lot = (await api.get('/v1/lots/RAW-UI-1')).body.state;
  assert.equal(lot.consumed, 20);
  assert.equal((await api.get('/v1/lots/NO-SUCH-LOT')).status, 404);
});

test('an out-of-limit reading appears on the exception board live', async () => {
  const supervisor = await plant.signedIn('supervisor');
  await supervisor.goto(plant.url + '/#/boards');
  await supervisor.waitForSelector('.live:text("Live")');
  const before = Number(await text(supervisor, '#exc-title .count'));
  const operator = await plant.api('operator');
  const r = await operator.post('/v1/commands', { type: 'reading.record', commandId: 'ui-reading-1', data: { equipment: 'cold-room-raw', param: 'temperature', value: 31, unit: 'C' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await supervisor.waitForSelector('table.exceptions tr[data-exception] :text("cold-room-raw")', { timeout: 5000 });
  assert.equal(Number(await text(supervisor, '#exc-title .count')), before + 1);
  await screenshot(supervisor, 'exception-board');
});

test('the expiry board lists the lots in stock past or near their use-by, as `custody board expiry` does', async () => {
  const supervisor = await plant.signedIn('supervisor');
  await supervisor.goto(plant.url + '/#/boards');
  await supervisor.waitForSelector('table.expiry');
  // The generated days lie in October: their raw lots still in stock are expired now.
  const cli = JSON.parse(execFileSync(binary, ['board', plant.ledger, 'expiry'], { encoding: 'utf8' }));
  assert.ok(cli.expired > 0, JSON.stringify(cli));
  assert.equal(await supervisor.locator('table.expiry tbody tr').count(), cli.lots.length);
  const first = cli.lots[0];
  const row = supervisor.locator(`table.expiry tr[data-lot="${first.lot}"]`);
  assert.equal(await row.getAttribute('class'), first.expired ? 'late' : '');
  assert.match(await row.textContent() ?? '', first.expired ? /expired/ : /days left/);
  assert.equal(Number(await text(supervisor, '#expiry-title .count')), cli.expired + cli.expiring);
  await screenshot(supervisor, 'expiry-board');
});

test('the training board shows every qualification as `custody board training` does, and a new one as it commits', async () => {
  const supervisor = await plant.signedIn('supervisor');
  await supervisor.goto(plant.url + '/#/boards');
  await supervisor.waitForSelector('table.training');
  const cli = JSON.parse(execFileSync(binary, ['board', plant.ledger, 'training'], { encoding: 'utf8' }));
  assert.ok(cli.qualifications.length > 0, JSON.stringify(cli));
  assert.equal(await supervisor.locator('table.training tbody tr').count(), cli.qualifications.length);
  const lapsed = cli.qualifications.find((/** @type {any} */ q) => q.standing !== 'valid');
  if (lapsed) {
    const row = supervisor.locator(`table.training tr[data-user="${lapsed.user}"]`).first();
    assert.equal(await row.getAttribute('class'), 'late');
  }
  // QA records a new operator's training: the board shows it without a reload.
  const qaApi = await plant.api('qa');
  const granted = await qaApi.post('/v1/commands', {
    type: 'qualification.grant', commandId: 'ui-train-1',
    data: { user: 'user:ui-newcomer', workCenter: 'wash', until: '2030-01-01T00:00:00Z', trainer: 'user:elena', procedure: 'SOP-WASH-01 rev 3' },
  });
  assert.equal(granted.status, 200, JSON.stringify(granted.body));
  const row = supervisor.locator('table.training tr[data-user="user:ui-newcomer"]');
  await row.waitFor({ timeout: 5000 });
  assert.match(await row.textContent() ?? '', /work center wash.*valid.*SOP-WASH-01/);
  // An operator may not record training.
  const opApi = await plant.api('operator');
  const refused = await opApi.post('/v1/commands', {
    type: 'qualification.grant', commandId: 'ui-train-2',
    data: { user: 'user:ui-newcomer', workCenter: 'wash', until: '2030-01-01T00:00:00Z', trainer: 'user:elena' },
  });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.code, 'permission_denied');
  await screenshot(supervisor, 'training-board');
});

test('the deviation and CAPA boards match `custody board`, and a deviation QA opens holds its lot and appears as it commits', async () => {
  const supervisor = await plant.signedIn('supervisor');
  await supervisor.goto(plant.url + '/#/boards');
  await supervisor.waitForSelector('table.deviations');
  await supervisor.waitForSelector('table.capa');
  const board = (/** @type {string} */ name) => JSON.parse(execFileSync(binary, ['board', plant.ledger, name], { encoding: 'utf8' }));
  const deviations = board('deviations');
  const capa = board('capa');
  assert.equal(await supervisor.locator('table.deviations tbody tr').count(), deviations.deviations.length);
  assert.equal(await supervisor.locator('table.capa tbody tr').count(), capa.actions.length);
  assert.equal(Number(await text(supervisor, '#capa-title .count')), capa.overdue);

  // QA finds foreign matter in a retained sample of a lot in stock and escalates it.
  const qaApi = await plant.api('qa');
  const lots = await qaApi.get('/v1/lots?status=released&limit=1000');
  // A generated lot, not one the other tests work with.
  const lot = lots.body.items.find((/** @type {any} */ l) => Number(l.onHand) > 0 && !l.lot.includes('-UI-')).lot;
  const raised = await qaApi.post('/v1/commands', {
    type: 'exception.raise', commandId: 'ui-dev-x',
    data: { exception: 'UI-Q-1', category: 'quality', severity: 'high', description: 'Foreign matter in a retained sample', lot },
  });
  assert.equal(raised.status, 200, JSON.stringify(raised.body));
  const opening = { type: 'deviation.open', commandId: 'ui-dev-1', data: { deviation: 'UI-DEV-1', exception: 'UI-Q-1', classification: 'major', description: 'Plastic fragment in the retained sample of ' + lot } };
  // An operator does not open deviations.
  const refused = await (await plant.api('operator')).post('/v1/commands', opening);
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.code, 'permission_denied');
  const opened = await qaApi.post('/v1/commands', opening);
  assert.equal(opened.status, 200, JSON.stringify(opened.body));
  const row = supervisor.locator('table.deviations tr[data-deviation="UI-DEV-1"]');
  await row.waitFor({ timeout: 5000 });
  assert.match(await row.textContent() ?? '', /major.*open.*Plastic fragment.*UI-Q-1/);
  // The lot is held, and refused release while the deviation is open.
  const held = await qaApi.get('/v1/lots/' + encodeURIComponent(lot));
  assert.equal(held.body.state.status, 'held');
  assert.equal(held.body.state.deviations, 1);

  // The line's supervisor gives out a corrective action; it shows on the CAPA board.
  const given = await (await plant.api('supervisor')).post('/v1/commands', {
    type: 'capa.open', commandId: 'ui-capa-1',
    data: { capa: 'UI-CAPA-1', deviation: 'UI-DEV-1', kind: 'corrective', action: 'Sieve check at the blender inlet', owner: 'user:sam', due: '2030-01-01T00:00:00Z' },
  });
  assert.equal(given.status, 200, JSON.stringify(given.body));
  const action = supervisor.locator('table.capa tr[data-capa="UI-CAPA-1"]');
  await action.waitFor({ timeout: 5000 });
  assert.match(await action.textContent() ?? '', /UI-DEV-1.*corrective.*Sieve check.*user:sam.*open/);
  await supervisor.locator('table.deviations tr[data-deviation="UI-DEV-1"]', { hasText: 'UI-CAPA-1' }).waitFor({ timeout: 5000 });
  await screenshot(supervisor, 'deviation-boards');
});

test('QA releases a lot with an electronic signature; a wrong password is refused and counted', async () => {
  const qaApi = await plant.api('qa');
  const held = await qaApi.post('/v1/commands', { type: 'lot.hold', commandId: 'ui-hold-2', data: { lot: 'RAW-UI-2', reason: 'supplier CoA missing' } });
  assert.equal(held.status, 200, JSON.stringify(held.body));

  const page = await plant.signedIn('qa');
  await page.goto(plant.url + '/#/qa');
  const row = 'tr[data-lot="RAW-UI-2"]';
  await page.waitForSelector(row);
  assert.match(await text(page, row), /on hold/);
  await page.click(`${row} button:text("Release")`);
  await page.waitForSelector('#sig-text:text("lot.release")');
  assert.match(await text(page, '#sig-text'), /I, Quinn Harper \(quinn\), sign lot\.release of lot:RAW-UI-2 with the meaning "released"/);
  await screenshot(page, 'qa-signature-dialog');

  // First signature of the session: user id and password. A wrong password writes nothing.
  assert.equal(await page.inputValue('#sig-user'), 'quinn');
  await page.fill('#sig-password', 'wrong password');
  await page.click('dialog button[type=submit]');
  await page.waitForSelector('#sig-error');
  assert.match(await text(page, '#sig-error'), /Wrong user id or password/);
  let lot = (await qaApi.get('/v1/lots/RAW-UI-2')).body.state;
  assert.equal(lot.status, 'held', 'nothing was written');
  const denied = (await qaApi.get('/v1/log?stream=access:user:quinn')).body.records;
  assert.ok(denied.some((/** @type {any} */ d) => d.payload.action === 'confirm a signature'), 'the wrong password is recorded');

  await page.fill('#sig-password', PASSWORD);
  await page.click('dialog button[type=submit]');
  await page.waitForSelector('p.done:text("signed by Quinn Harper")');
  lot = (await qaApi.get('/v1/lots/RAW-UI-2')).body;
  assert.equal(lot.state.status, 'released');
  const release = lot.history.findLast((/** @type {any} */ h) => h.type === 'lot.released');
  assert.equal(release.actor, 'user:quinn');
  assert.equal(release.signatures[0].meaning, 'released');
  assert.equal(release.signatures[0].name, 'Quinn Harper');

  // A move made on the night shift and typed in a day later: a late entry, with its reason.
  const operatorApi = await plant.api('operator');
  const night = new Date(Date.now() - 30 * 3600 * 1000).toISOString();
  const unexplained = await operatorApi.post('/v1/commands', { type: 'lot.move', commandId: 'ui-late-0', occurredAt: night, data: { lot: 'RAW-UI-2', location: 'cold-2' } });
  assert.equal(unexplained.status, 422);
  assert.equal(unexplained.body.error.code, 'late_entry');
  const moved = await operatorApi.post('/v1/commands', { type: 'lot.move', commandId: 'ui-late-1', occurredAt: night, lateReason: 'moved on the night shift <scanner offline>', data: { lot: 'RAW-UI-2', location: 'cold-2' } });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));

  // The audit trail shows the signature's manifestation beside the record, and the late
  // entry flagged with its reason (as text, never as markup).
  await page.goto(plant.url + '/#/audit/lots/RAW-UI-2');
  await page.waitForSelector('.signature-line');
  assert.match(await text(page, '.signature-line'), /Quinn Harper \(quinn\), released, .*PST/);
  await page.waitForSelector('.s-late');
  assert.equal(await text(page, '.late-reason'), 'moved on the night shift <scanner offline>');
  await screenshot(page, 'audit-trail');
});

test('a recall from a supplier lot matches `custody recall` exactly', async () => {
  // The CLI reads the ledger while the server holds it (a read-only view).
  const cli = JSON.parse(execFileSync(binary, ['recall', plant.ledger, '--supplier', 'sunrise-produce', '--supplier-lot', plant.supplierLot], { encoding: 'utf8', maxBuffer: 1 << 26 }));
  assert.ok(cli.summary.lotsReached > 1, 'the supplier lot reaches finished lots');
  const page = await plant.signedIn('qa');
  await page.goto(plant.url + '/#/recall');
  await page.fill('#recall-supplier', 'sunrise-produce');
  await page.fill('#recall-supplier-lot', plant.supplierLot);
  await page.click('form.lookup button[type=submit]');
  await page.waitForSelector('table.recall-lots');
  const ui = await page.evaluate(() => ({
    lots: [...document.querySelectorAll('table.recall-lots tbody tr')].map((r) => [/** @type {HTMLElement} */ (r).dataset.lot, Number(/** @type {HTMLElement} */ (r.querySelector('[data-qty]')).dataset.qty)]),
    shipments: [...document.querySelectorAll('table.recall-shipments tbody tr')].map((r) => { const d = /** @type {HTMLElement} */ (r).dataset; return [d.shipment, d.lot, Number(d.qty)]; }),
    customers: [...document.querySelectorAll('table.recall-customers tbody tr')].map((r) => { const d = /** @type {HTMLElement} */ (r).dataset; return [d.customer, Number(d.qty)]; }),
    graph: /** @type {any} */ (window).custodyRecallGraph.nodes,
  }));
  assert.deepEqual(ui.lots, cli.lots.map((/** @type {any} */ l) => [l.lot, l.onHand]));
  assert.deepEqual(ui.shipments, cli.shipments.map((/** @type {any} */ x) => [x.shipment, x.lot, x.qty]));
  assert.deepEqual(ui.customers, cli.customers.map((/** @type {any} */ c) => [c.customer, c.qty]));
  assert.ok(ui.graph > 1);
  // Past the gate: the customer's own EPCIS receipt of a shipped lot, as the CLI lists it, and
  // the document's name (markup) shown as text, never as markup.
  const partners = await page.evaluate(() => [...document.querySelectorAll('table.recall-partners tbody tr')].map((r) => ({
    event: /** @type {HTMLElement} */ (r).dataset.event,
    document: r.querySelector('.document')?.textContent,
    markup: r.querySelector('b') !== null,
    partner: r.querySelector('.partner')?.textContent,
    partnerId: r.querySelector('.partner')?.getAttribute('title'),
  })));
  assert.ok(cli.partnerEvents.length > 0, 'the harness imported a customer receipt');
  assert.deepEqual(partners.map((p) => p.event), cli.partnerEvents.map((/** @type {any} */ p) => p.evidence.eventId));
  assert.ok(partners.every((p) => p.document === RECEIPT_SOURCE && !p.markup));
  // The customer by name, as the customers table names it; the party id on hover.
  const customers = new Map(cli.customers.map((/** @type {any} */ c) => [c.customer, c.name]));
  for (const [i, p] of partners.entries()) {
    const by = cli.partnerEvents[i].evidence.by;
    assert.equal(p.partnerId, by);
    assert.ok(customers.get(by), `the partner ${by} is one of the recall's customers`);
    assert.equal(p.partner, customers.get(by));
  }
  // The FSMA 204 download is the CLI's file, byte for byte.
  const shipping = await page.evaluate(async () => {
    const a = /** @type {HTMLAnchorElement} */ (document.querySelector('a[download="fsma204-shipping.csv"]'));
    return (await fetch(a.href)).text();
  });
  const out = join(plant.dir, 'fsma');
  execFileSync(binary, ['recall', plant.ledger, '--supplier', 'sunrise-produce', '--supplier-lot', plant.supplierLot, '--format', 'fsma204', '--out', out]);
  assert.equal(shipping, readFileSync(join(out, 'fsma204-shipping.csv'), 'utf8'));
  await screenshot(page, 'recall');
});

test('an enterprise recall follows the pallet into the sister site, as `custody enterprise recall` does; the floor is not offered it', async () => {
  const cli = JSON.parse(execFileSync(binary, ['enterprise', 'recall', plant.enterprise, '--site', 'plant-a', '--lot', 'R-1'], { encoding: 'utf8' }));
  assert.equal(cli.summary.crossSiteEdges, 1);
  const page = await plant.signedIn('qa');
  await page.click('header.top nav a[href="#/enterprise"]');
  await page.waitForSelector('table.enterprise-sites tbody tr[data-site="plant-b"]');
  await page.selectOption('#enterprise-site', 'plant-a');
  await page.fill('#enterprise-lot', 'R-1');
  await page.click('form.lookup button[type=submit]');
  await page.waitForSelector('table.enterprise-edges tbody tr');
  const ui = await page.evaluate(() => ({
    edges: [...document.querySelectorAll('table.enterprise-edges tbody tr')].map((r) => { const d = /** @type {HTMLElement} */ (r).dataset; return [d.from, d.to, d.basis]; }),
    customers: [...document.querySelectorAll('table.enterprise-customers tbody tr')].map((r) => { const d = /** @type {HTMLElement} */ (r).dataset; return [d.site, d.customer]; }),
    names: [...document.querySelectorAll('table.enterprise-customers tbody tr td:nth-child(2)')].map((td) => td.textContent),
    markup: document.querySelector('table.enterprise-customers b') !== null,
    lots: [...document.querySelectorAll('table.enterprise-lots')].map((t) => [/** @type {HTMLElement} */ (t).dataset.site, [...t.querySelectorAll('tbody tr')].map((r) => /** @type {HTMLElement} */ (r).dataset.lot)]),
    stale: [...document.querySelectorAll('table.enterprise-sites tbody tr')].map((r) => /** @type {HTMLElement} */ (r).dataset.stale),
  }));
  assert.deepEqual(ui.edges, cli.edges.map((/** @type {any} */ e) => [e.fromSite + ' ' + e.fromLot, e.toSite + ' ' + e.toLot, e.basis]));
  const reached = cli.sites.filter((/** @type {any} */ x) => x.reached);
  assert.deepEqual(ui.customers, reached.flatMap((/** @type {any} */ x) => x.recall.customers.map((/** @type {any} */ c) => [x.status.site, c.customer])));
  assert.deepEqual(ui.lots, reached.map((/** @type {any} */ x) => [x.status.site, x.recall.lots.map((/** @type {any} */ l) => l.lot)]));
  // Names with markup or a formula stay text.
  assert.deepEqual(ui.names, ['East DC <b>', '=Corner shop']);
  assert.equal(ui.markup, false);
  assert.deepEqual(ui.stale, ['false', 'false']);
  await screenshot(page, 'enterprise-recall');

  // The trace across sites, both ways, as `custody enterprise trace` gives it.
  for (const [site, lot, direction] of [['plant-a', 'R-1', 'forward'], ['plant-b', 'K-1', 'backward']]) {
    const args = ['enterprise', 'trace', plant.enterprise, '--site', site, '--lot', lot];
    const want = JSON.parse(execFileSync(binary, direction === 'backward' ? [...args, '--backward'] : args, { encoding: 'utf8' }));
    assert.ok(want.summary.crossSiteLinks > 0, `${site} ${lot}: the trace crosses sites`);
    await page.selectOption('#enterprise-trace-site', site);
    await page.fill('#enterprise-trace-lot', lot);
    await page.selectOption('#enterprise-trace-direction', direction);
    await page.click('form.trace-lookup button[type=submit]');
    // The new answer: this direction, from this start (the first row; the last answer is replaced).
    await page.waitForSelector(`table.enterprise-trace-lots[data-direction="${direction}"] tbody tr:first-child[data-site="${site}"][data-lot="${lot}"]`);
    const got = await page.evaluate(() => ({
      lots: [...document.querySelectorAll('table.enterprise-trace-lots tbody tr')].map((r) => { const d = /** @type {HTMLElement} */ (r).dataset; return [d.site, d.lot]; }),
      links: [...document.querySelectorAll('table.enterprise-trace-links tbody tr')].map((r) => { const d = /** @type {HTMLElement} */ (r).dataset; return [d.from, d.to]; }),
    }));
    assert.deepEqual(got.lots, want.lots.map((/** @type {any} */ l) => [l.site, l.lot]), `${site} ${lot} ${direction}`);
    assert.deepEqual(got.links, want.links.map((/** @type {any} */ l) => [l.fromSite + ' ' + l.fromLot, l.toSite + ' ' + l.toLot]));
  }
  await screenshot(page, 'enterprise-trace');

  const operator = await plant.signedIn('operator');
  assert.doesNotMatch(await text(operator, 'header.top nav'), /Enterprise/);
  const status = await operator.evaluate(async () => (await fetch('/v1/enterprise/recall?site=plant-a&lot=R-1')).status);
  assert.equal(status, 403);
});

test('exceptions: raised on the floor, assigned, acknowledged, resolved and closed, each by whom may', async () => {
  const operator = await plant.signedIn('operator');
  await operator.goto(plant.url + '/#/exceptions');
  await operator.click('button:text("Raise an exception")');
  await operator.selectOption('#raise-category', 'equipment');
  await operator.selectOption('#raise-severity', 'high');
  await operator.fill('#raise-description', 'Dryer 2 bearing noise');
  await operator.fill('#raise-wo', 'WO-DOES-NOT-EXIST');
  await operator.click('section.action button:text-is("Raise")');
  // A link to nothing: the error stands beside the field, and nothing is written.
  await operator.waitForSelector('#raise-wo-error');
  assert.match(await text(operator, '#raise-wo-error'), /WO-DOES-NOT-EXIST/);
  await operator.fill('#raise-wo', '');
  await operator.fill('#raise-equipment', 'dryer-2');
  await operator.click('section.action button:text-is("Raise")');
  await operator.waitForSelector('p.done:text("Raised")');
  const id = /EX-[0-9]+-[0-9]+/.exec(await text(operator, 'p.done'))?.[0] ?? '';
  assert.ok(id, 'the new exception is named');
  const row = `tr[data-exception="${id}"]`;
  await operator.waitForSelector(row);
  // An operator may not assign or close: not offered.
  await operator.click(`${row} button:text("Act")`);
  assert.equal(await operator.locator('.exception-actions button:text("Assign")').count(), 0);
  assert.equal(await operator.locator('.exception-actions button:text("Close")').count(), 0);

  const supervisor = await plant.signedIn('supervisor');
  await supervisor.goto(plant.url + '/#/exceptions');
  await supervisor.click(`${row} button:text("Act")`);
  await supervisor.fill(`#assignee-${id}`, 'olga');
  await supervisor.click('.exception-actions button:text-is("Assign")');
  await supervisor.waitForSelector('p.done:text("Assign")');

  await operator.reload();
  await operator.check('.toolbar input[type=checkbox]');
  await operator.click(`${row} button:text("Act")`);
  await operator.click('.exception-actions button:text("Acknowledge")');
  await operator.waitForSelector('p.done:text("Acknowledge")');
  // The row stays open for the next step.
  await operator.fill(`#cause-${id}`, 'Bearing worn');
  await operator.fill(`#action-${id}`, 'Bearing replaced, test run quiet');
  await operator.click('.exception-actions button:text("Resolve")');
  await operator.waitForSelector('p.done:text("Resolve")');
  await screenshot(operator, 'exceptions');

  await supervisor.reload();
  await supervisor.click(`${row} button:text("Act")`);
  await supervisor.click('.exception-actions button:text("Close")');
  await supervisor.waitForSelector('p.done:text("Close")');
  const api = await plant.api('supervisor');
  const x = (await api.get('/v1/exceptions/' + id)).body;
  assert.equal(x.state.status, 'closed');
  assert.equal(x.state.assignee, 'user:olga');
  assert.deepEqual(x.history.map((/** @type {any} */ r) => [r.type, r.actor]), [
    ['exception.raised', 'user:olga'], ['exception.assigned', 'user:sam'], ['exception.acknowledged', 'user:olga'],
    ['exception.resolved', 'user:olga'], ['exception.closed', 'user:sam']]);
  assert.equal((await api.get('/v1/work-orders/WO-DOES-NOT-EXIST')).status, 404);
});

test('an operator is not offered QA\'s actions, and a forced request is refused 403 and recorded', async () => {
  const page = await plant.signedIn('operator');
  const nav = await text(page, 'header.top nav');
  assert.doesNotMatch(nav, /Quality/);
  assert.doesNotMatch(nav, /Audit/);
  await page.goto(plant.url + '/#/qa');
  await page.waitForSelector('h1:text("Not available to your role")');
  const status = await page.evaluate(async () => {
    const r = await fetch('/v1/commands', {
      method: 'POST',
      headers: { 'X-CSRF-Token': sessionStorage.getItem('custody.csrf') ?? '' },
      body: JSON.stringify({ type: 'lot.reject', commandId: 'forced-1', data: { lot: 'RAW-UI-1', reason: 'forced' } }),
    });
    return r.status;
  });
  assert.equal(status, 403);
  const qa = await plant.api('qa');
  assert.equal((await qa.get('/v1/lots/RAW-UI-1')).body.state.status, 'released');
  const denied = (await qa.get('/v1/log?stream=access:user:olga')).body.records;
  assert.ok(denied.some((/** @type {any} */ d) => d.payload.action === 'submit lot.reject'));
  // QA's audit trail of the person: her account and the refused call, verified.
  const auditor = await plant.signedIn('qa');
  await auditor.goto(plant.url + '/#/audit/users/olga');
  await auditor.waitForSelector('.chain-summary[data-signed="true"]');
  const types = await auditor.locator('.history > li header strong').allTextContents();
  assert.ok(types.includes('user.added'), types.join());
  assert.ok(types.includes('access.denied'), types.join());
  assert.match(await text(auditor, 'dl.state'), /Olga Petrova/);
  assert.equal(await auditor.getAttribute('.chain-summary', 'data-failed'), '0');
  await auditor.goto(plant.url + '/#/audit/users/nobody-here');
  await auditor.waitForSelector('#audit-error');
});

test('commands made while the connection is cut are kept and arrive once when it returns', async () => {
  const page = await plant.signedIn('operator');
  await page.fill('#wo', 'WO-UI-2');
  await page.press('#wo', 'Enter');
  await page.waitForSelector('#order-title');
  await page.locator('.choices .choice').first().click();
  await page.click('button:text("Start the step")');
  await page.waitForSelector('p.done:text("Recorded: start wash")');

  await page.context().setOffline(true);
  await page.fill('#good', '5');
  await page.click('button:text("Report")');
  await page.waitForSelector('.banner.offline');
  await page.fill('#good', '3');
  await page.click('button:text("Report")');
  await page.waitForSelector('#queued-title:text("Waiting to be sent: 2")');
  assert.match(await text(page, '.banner.offline'), /2 command\(s\) are kept in this browser/);
  await screenshot(page, 'floor-offline');
  // A reload while offline keeps them too: they are in the browser's storage.
  const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('custody.outbox.olga') ?? '[]').length);
  assert.equal(kept, 2);

  await page.context().setOffline(false);
  await page.waitForSelector('.banner.offline', { state: 'detached', timeout: 10000 });
  await page.waitForSelector('#queued-title', { state: 'detached' });
  const api = await plant.api('supervisor');
  const log = (await api.get('/v1/log?stream=wo:WO-UI-2&limit=100')).body.records;
  const reports = log.filter((/** @type {any} */ r) => r.type === 'op.reported');
  assert.deepEqual(reports.map((/** @type {any} */ r) => r.payload.good), [5, 3]);
  assert.equal(new Set(reports.map((/** @type {any} */ r) => r.commandId)).size, 2);
  assert.equal((await api.get('/v1/work-orders/WO-UI-2')).body.state.steps[0].good, 8);
});

test('work orders: a filtered list, the plan per work center, and an order with its steps, lots and readings', async () => {
  const page = await plant.signedIn('supervisor');
  await page.goto(plant.url + '/#/orders');
  await page.waitForSelector('table.orders-list tr[data-wo="WO-UI-1"]');
  const inProgress = await page.locator('table.orders-list tbody tr').count();
  const api = await plant.api('supervisor');
  assert.equal(inProgress, (await api.get('/v1/work-orders?status=inProgress&limit=1000')).body.count);
  await page.fill('#wo-filter', 'WO-UI');
  await page.waitForFunction(() => document.querySelectorAll('table.orders-list tbody tr').length <= 2);
  await page.click('button:text("Plan")');
  await page.waitForSelector('.gantt g[data-wo="WO-UI-1"] rect.actual');
  await screenshot(page, 'work-orders-plan');
  await page.click('button:text("List")');
  await page.click('a:text("WO-UI-1")');
  await page.waitForSelector('.order-detail tr[data-step="wash"]');
  assert.match(await text(page, '.order-detail tr[data-step="wash"]'), /completed.*17.*1/s);
  assert.match(await text(page, '#wo-lots + table'), /RAW-UI-1\s*20/);
  // Yield against theory, per step and for the order, as the API computes it.
  const y = (await api.get('/v1/work-orders/WO-UI-1/yield')).body;
  await page.waitForSelector('table.yield tr[data-phase="order"]');
  const shown = (/** @type {number | null} */ p) => p === null ? '—' : `${new Intl.NumberFormat('en', { maximumFractionDigits: 3 }).format(p)} %`;
  assert.ok((await text(page, 'table.yield tr[data-phase="wash"]')).includes(shown(y.steps[0].percentOfTheoretical)), JSON.stringify(y.steps[0]));
  assert.ok((await text(page, 'table.yield tr[data-phase="order"]')).includes(shown(y.percentOfTheoretical)), JSON.stringify(y));
  await screenshot(page, 'work-order');
});

test("an equipment's audit page shows its logbook as the API has it: cleanings, calibrations, uses", async () => {
  const page = await plant.signedIn('qa');
  const api = await plant.api('qa');
  const book = (await api.get('/v1/equipment/flume-1/logbook')).body;
  await page.goto(plant.url + '/#/audit/equipment/flume-1');
  await page.waitForSelector('table.logbook tbody tr');
  assert.equal(await page.locator('table.logbook tbody tr').count(), book.count);
  // Newest first; the cleaning and calibration the test plant seeded are there, with the standing.
  assert.equal(Number(await page.locator('table.logbook tbody tr').first().getAttribute('data-seq')), book.entries[book.entries.length - 1].seq);
  assert.match(await text(page, `table.logbook tr[data-event="cleaned"]:has-text("${book.cleanProcedure}")`), /SSOP-3/);
  assert.match(await text(page, 'table.logbook tr[data-event="calibrated"]:has-text("CAL-flume-1-UI")'), /CAL-flume-1-UI/);
  assert.match(await text(page, 'dl.logbook-standing'), new RegExp(book.cleanedBy));
  assert.match(await text(page, 'dl.logbook-standing'), /in service/);
  await screenshot(page, 'equipment-logbook');
});

test("OEE per equipment is `custody oee`'s, and piecework pay is shown to a supervisor, not to QA", async () => {
  const range = ['--from', '2026-10-01T07:00:00Z', '--to', '2026-10-04T07:00:00Z'];
  const oee = JSON.parse(execFileSync(binary, ['oee', plant.ledger, ...range], { encoding: 'utf8' }));
  const pay = JSON.parse(execFileSync(binary, ['pay', plant.ledger, ...range], { encoding: 'utf8' }));
  assert.ok(oee.equipment.length > 0, 'the test plant keeps OEE for its machines');
  assert.ok(pay.operators.length > 0 && pay.total.amount > 0, 'the test plant has piece rates');
  const ratio = (/** @type {number | null} */ x) => (x === null ? '–' : `${Math.round(x * 1000) / 10} %`);
  const open = async (/** @type {string} */ role) => {
    const page = await plant.signedIn(role);
    await page.goto(plant.url + '/#/kpi');
    await page.fill('#kpi-from', '2026-10-01');
    await page.fill('#kpi-to', '2026-10-04');
    await page.dispatchEvent('#kpi-to', 'change');
    return page;
  };
  const supervisor = await open('supervisor');
  const first = oee.equipment[0];
  await supervisor.waitForSelector(`table.oee-rows tr[data-oee="${first.equipment}"] [data-oee-value]:text("${ratio(first.oee)}")`);
  assert.equal(await supervisor.locator('table.oee-rows tbody tr').count(), oee.equipment.length);
  const who = pay.operators[0];
  await supervisor.waitForSelector(`table.pay-rows tr[data-pay="${who.operator}"]`);
  assert.equal(await supervisor.locator('table.pay-rows tbody tr').count(), pay.operators.length);
  // Money with its cents, the amount `custody pay` answers.
  const shown = await text(supervisor, `table.pay-rows tr[data-pay="${who.operator}"] [data-pay-amount]`);
  assert.match(shown, /^[\d,]+\.\d{2} EUR$/);
  assert.equal(Number(shown.replace(/[, A-Z]/g, '')), Math.round(Number(who.amount) * 100) / 100);
  await supervisor.locator('table.pay-rows').scrollIntoViewIfNeeded();
  await screenshot(supervisor, 'kpi-oee-pay');

  // QA sees OEE but not what each operator earns; the API refuses it too.
  const qa = await open('qa');
  await qa.waitForSelector('table.oee-rows tbody tr');
  assert.equal(await qa.locator('table.pay-rows').count(), 0);
  const refused = await (await plant.api('qa')).get('/v1/pay?from=2026-10-01T07:00:00Z&to=2026-10-04T07:00:00Z');
  assert.equal(refused.status, 403);
});

test('KPIs for a date range match `custody kpi`, and the SPC chart marks the readings outside its limits', async () => {
  const page = await plant.signedIn('qa');
  await page.goto(plant.url + '/#/kpi');
  await page.fill('#kpi-from', '2026-10-01');
  await page.fill('#kpi-to', '2026-10-04');
  await page.dispatchEvent('#kpi-to', 'change');
  await page.waitForSelector('.tiles [data-kpi="onTimeRate"]');
  // The site's days: midnight in Los Angeles (UTC-7 in October).
  const cli = JSON.parse(execFileSync(binary, ['kpi', plant.ledger, '--from', '2026-10-01T07:00:00Z', '--to', '2026-10-04T07:00:00Z'], { encoding: 'utf8' }));
  const pct = (/** @type {number} */ x) => `${Math.round(x * 1000) / 10} %`;
  await page.waitForSelector(`.tiles [data-kpi="onTimeRate"]:text("${pct(cli.workOrders.onTimeRate)}")`);
  assert.equal(await text(page, '.tiles [data-kpi="firstPassYield"]'), pct(cli.production.firstPassYield));
  assert.equal(await text(page, '.tiles [data-kpi="raised"]'), String(cli.exceptions.raised));
  assert.equal(await page.locator('table.piecework tbody tr').count(), cli.operators.length);
  await page.waitForSelector('.kpi .chart canvas');

  // The Pareto of defects over the same days is `custody pareto`'s, row for row, most first.
  const range = ['--from', '2026-10-01T07:00:00Z', '--to', '2026-10-04T07:00:00Z'];
  const pareto = JSON.parse(execFileSync(binary, ['pareto', plant.ledger, ...range], { encoding: 'utf8' }));
  assert.ok(pareto.rows.length > 1, 'the test plant reports scrap with reasons');
  await page.waitForSelector(`[data-pareto-scrap="${pareto.scrap}"]`);
  const keys = await page.locator('table.pareto-rows tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-pareto-key')));
  assert.deepEqual(keys, pareto.rows.map((/** @type {any} */ r) => r.key ?? ''));
  const byShift = JSON.parse(execFileSync(binary, ['pareto', plant.ledger, ...range, '--by', 'shift'], { encoding: 'utf8' }));
  await page.selectOption('#pareto-by', 'shift');
  await page.waitForSelector(`table.pareto-rows tr[data-pareto-key="${byShift.rows[0].key ?? ''}"]`);
  assert.equal(await page.locator('table.pareto-rows tbody tr').count(), byShift.rows.length);
  await page.locator('table.pareto-rows').scrollIntoViewIfNeeded();
  await screenshot(page, 'kpi-pareto');

  await page.selectOption('#spc-equipment', 'flume-1');
  await page.waitForSelector('[data-spc-n]');
  await page.selectOption('#spc-param', 'chlorine');
  const shown = await page.evaluate(() => {
    const el = /** @type {HTMLElement} */ (document.querySelector('[data-spc-n]'));
    return { n: Number(el.dataset.spcN), outside: Number(el.dataset.spcOutside) };
  });
  // The same limits computed here from the log: mean ± 2.66 × mean moving range.
  const api = await plant.api('qa');
  const log = (await api.get('/v1/log?stream=equipment:flume-1&limit=10000')).body.records;
  const values = log.filter((/** @type {any} */ r) => r.type === 'reading.recorded' && r.payload.param === 'chlorine').map((/** @type {any} */ r) => r.payload.value);
  const mean = values.reduce((/** @type {number} */ a, /** @type {number} */ b) => a + b, 0) / values.length;
  const mr = values.slice(1).reduce((/** @type {number} */ a, /** @type {number} */ v, /** @type {number} */ i) => a + Math.abs(v - values[i]), 0) / (values.length - 1);
  const outside = values.filter((/** @type {number} */ v) => v > mean + 2.66 * mr || v < mean - 2.66 * mr).length;
  assert.deepEqual(shown, { n: values.length, outside });
  assert.ok(values.length > 10);
  await screenshot(page, 'kpi-spc');
});

test('administration: people, their roles and lockouts, tokens shown once, the signature policy', async () => {
  const page = await plant.signedIn('admin');
  await page.goto(plant.url + '/#/admin');
  await page.waitForSelector('table.users tr[data-user="ada"]');
  // The auditor was locked by the sign-in test: the admin unlocks her, with a reason.
  assert.match(await text(page, 'tr[data-user="ada"]'), /locked until/);
  await page.click('tr[data-user="ada"] button:text("Act")');
  await page.fill('#reason-ada', 'identity confirmed by phone');
  await page.click('.exception-actions button:text("Unlock")');
  await page.waitForSelector('p.done:text("ada unlocked")');
  const auditor = await plant.signedIn('auditor');
  assert.ok(await auditor.locator('header.top nav').isVisible());

  // A new person, with a first password; she signs in, then is disabled.
  await page.click('button:text("Add a person")');
  await page.fill('#new-user', 'nina');
  await page.fill('#new-name', 'Nina Brandt');
  await page.fill('#new-password', 'Night-Shift-Line-4');
  await page.click('.add-user button:text("Add a person")');
  await page.waitForSelector('table.users tr[data-user="nina"]');
  // Her row appears once user.add is recorded; her password is a second request, and the
  // form closes when that is done too; a sign-in before then is refused.
  await page.waitForSelector('.add-user', { state: 'detached' });
  const nina = await plant.page();
  await nina.goto(plant.url + '/');
  await nina.fill('#signin-user', 'nina');
  await nina.fill('#signin-password', 'Night-Shift-Line-4');
  await nina.click('form button[type=submit]');
  await nina.waitForSelector('header.top nav', { timeout: 60000 }); // as the harness's sign-ins
  await page.click('tr[data-user="nina"] button:text("Act")');
  await page.fill('#reason-nina', 'left the company');
  await page.click('.exception-actions button:text("Disable")');
  await page.waitForSelector('p.done:text("nina disabled")');
  const again = await plant.page();
  await again.goto(plant.url + '/');
  await again.fill('#signin-user', 'nina');
  await again.fill('#signin-password', 'Night-Shift-Line-4');
  await again.click('form button[type=submit]');
  await again.waitForSelector('#signin-error');
  assert.match(await text(again, '#signin-error'), /This account is disabled/);

  // A token: its secret once, never in the list.
  await page.fill('#token-id', 'erp-ui');
  await page.fill('#token-description', 'ERP connector');
  await page.click('button:text("Create token")');
  await page.waitForSelector('#token-secret');
  const secret = await text(page, '#token-secret');
  assert.match(secret, /^cty_erp-ui_/);
  await page.waitForSelector('table.tokens tr[data-token="erp-ui"]');
  assert.doesNotMatch(await text(page, 'table.tokens'), new RegExp(secret));
  await screenshot(page, 'admin');

  // The plugins the server hosts: the outbox to an ERP that does not answer holds records
  // back, and says how many.
  await page.waitForSelector('table.plugins tr[data-plugin="outbox.erp"]');
  const outbox = page.locator('table.plugins tr[data-plugin="outbox.erp"] td');
  assert.equal(await outbox.nth(1).textContent(), 'running');
  const backlog = Number(await outbox.nth(3).textContent());
  const plugins = (await (await plant.api('admin')).get('/v1/plugins')).body.plugins;
  assert.ok(backlog > 0, `backlog ${backlog}`);
  assert.ok(plugins[0].backlog >= backlog, JSON.stringify(plugins[0]));

  // An operator is refused the people list (and not offered the screen).
  const operator = await plant.signedIn('operator');
  assert.doesNotMatch(await text(operator, 'header.top nav'), /Administration/);
  assert.equal(await operator.evaluate(async () => (await fetch('/v1/users')).status), 403);

  // QA sets the signature policy; the admin may not.
  assert.equal(await page.locator('#policy-type').count(), 0);
  const qa = await plant.signedIn('qa');
  await qa.goto(plant.url + '/#/admin');
  await qa.fill('#policy-type', 'inspection.record');
  await qa.fill('#policy-reason', 'batch release inspections are signed');
  await qa.click('button:text("Set the policy")');
  await qa.waitForSelector('table.policy tr[data-policy="inspection.record"]');
  const api = await plant.api('qa');
  const policies = (await api.get('/v1/signatures/policy')).body.policies;
  assert.ok(policies.some((/** @type {any} */ p) => p.commandType === 'inspection.record' && p.required && p.setBy === 'user:quinn'));
});

test('QA records an inspection (signed, as the policy now says), verifies a step as the second person, and reviews a batch record by exception', async () => {
  // QA corrects the reported good of WO-UI-1's wash (17 -> 16), with a signature.
  const sup = await plant.api('qa');
  const log = (await sup.get('/v1/log?stream=wo:WO-UI-1&limit=100')).body.records;
  const report = log.find((/** @type {any} */ r) => r.type === 'op.reported');
  const challenge = await sup.post('/v1/signatures/challenges', { command: { type: 'record.correct', commandId: 'ui-correct-1', data: { seq: report.seq, reason: 'count sheet re-checked', data: { good: 16 } } }, meaning: 'approved' });
  assert.equal(challenge.status, 200, JSON.stringify(challenge.body));
  const confirmed = await sup.post(`/v1/signatures/challenges/${challenge.body.challengeId}:confirm`, { user: 'quinn', password: PASSWORD });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));

  const page = await plant.signedIn('qa');
  await page.goto(plant.url + '/#/qa');
  // An inspection: a bad number is refused beside its field before anything is sent.
  await page.fill('#insp-lot', 'RAW-UI-1');
  await page.fill('#insp-characteristic', 'pulp-temperature');
  await page.fill('#insp-value', 'warm');
  await page.fill('#insp-min', '0');
  await page.fill('#insp-max', '5');
  await page.click('button:text("Record inspection")');
  await page.waitForSelector('#insp-value-error');
  await page.fill('#insp-value', '3.1');
  await page.click('button:text("Record inspection")');
  await page.waitForSelector('#sig-text:text("inspection.record")');
  await page.fill('#sig-password', PASSWORD);
  await page.click('dialog button[type=submit]');
  await page.waitForSelector('p.done:text("inspection.record signed by Quinn Harper")');
  const qa = await plant.api('qa');
  const lot = (await qa.get('/v1/lots/RAW-UI-1')).body;
  const inspection = lot.history.findLast((/** @type {any} */ h) => h.type === 'inspection.recorded');
  assert.equal(inspection.payload.value, 3.1);
  assert.equal(inspection.signatures[0].signer, 'quinn');

  // Second-person verification of the wash step Olga performed; the dialog asks only for the
  // password now (the second signature of the session).
  const row = 'table.verify tr[data-wo="WO-UI-1"][data-step="wash"]';
  await page.waitForSelector(row);
  await page.click(`${row} button`);
  await page.waitForSelector('#sig-text:text("op.verify")');
  assert.equal(await page.locator('#sig-user').count(), 0);
  await page.fill('#sig-password', PASSWORD);
  await page.click('dialog button[type=submit]');
  await page.waitForSelector('p.done:text("Step wash of WO-UI-1 verified")');
  const wo = (await qa.get('/v1/work-orders/WO-UI-1')).body.state;
  assert.equal(wo.steps[0].verifiedBy, 'user:quinn');

  // Review by exception: the correction stands out; QA signs the review of every record.
  await page.fill('#review-wo', 'WO-UI-1');
  await page.press('#review-wo', 'Enter');
  await page.waitForSelector('table.deviations tr[data-kind="correction"]');
  assert.match(await text(page, 'table.deviations'), /count sheet re-checked/);
  await page.click('button:text("Sign the review")');
  await page.waitForSelector('#sig-text:text("reviewed")');
  await page.fill('#sig-password', PASSWORD);
  await page.click('dialog button[type=submit]');
  await page.waitForSelector('p.done:text("Review signed by Quinn Harper"), #sig-error');
  assert.equal(await page.locator('#sig-error').count(), 0, await page.locator('#sig-error').count() ? await text(page, '#sig-error') : '');
  await screenshot(page, 'qa-review');

  // The audit trail shows the correction's old and new values.
  await page.goto(plant.url + '/#/audit/work-orders/WO-UI-1');
  await page.waitForSelector('table.changes tr[data-field="good"]');
  assert.equal(await text(page, 'table.changes tr[data-field="good"] .old'), '17');
  assert.equal(await text(page, 'table.changes tr[data-field="good"] .new'), '16');
  // Each record shown is rechecked in the browser from its bytes and proven, by its inclusion
  // proof, in a checkpoint the ledger's key signed (Ed25519, checked here): verified.
  await page.waitForSelector('.chain-summary[data-checked]:not([data-checked=""]), .chain-summary.check-failed');
  const shownRecords = await page.locator('.history > li').count();
  assert.equal(await page.getAttribute('.chain-summary', 'data-checked'), String(shownRecords), await text(page, '.chain-summary'));
  assert.equal(await page.getAttribute('.chain-summary', 'data-failed'), '0');
  assert.equal(await page.getAttribute('.chain-summary', 'data-signed'), 'true', await page.getAttribute('.chain-summary', 'title') ?? '');
  assert.equal(await page.locator('.chain-ok:text("verified")').count(), shownRecords);
  const { body: site } = await (await plant.api('qa')).get('/v1/site');
  const keyId = site.publicKey.split('+')[1];
  assert.match(await text(page, '.chain-summary'), new RegExp(`verified in this browser.*key ${keyId} signed`));
  // The checks fail when what is shown is not what was hashed (another actor, another
  // payload digest, a broken link), when a proof is altered, and when a checkpoint is not
  // signed by the ledger's key or was altered after signing.
  const refused = await page.evaluate(async (vkey) => {
    const chain = await import('/ui/chain.js');
    const r = await (await fetch('/v1/work-orders/WO-UI-1')).json();
    const records = r.history.slice(-3);
    const forged = [
      { ...records[0], actor: 'user:mallory' },
      { ...records[1], payloadDigest: '00'.repeat(32) },
      { ...records[2], hash: 'ff'.repeat(32) },
    ];
    const out = await chain.checkRecords(forged, vkey);
    const seq = records[0].seq;
    const { proof } = await (await fetch(`/v1/proofs/inclusion?seq=${seq}`)).json();
    const hexBytes = (/** @type {string} */ h) => new Uint8Array(h.match(/../g).map((b) => parseInt(b, 16)));
    const cp = await chain.openCheckpoint(proof.checkpoint, vkey);
    const leaf = hexBytes(proof.leafHash);
    const path = proof.path.map(hexBytes);
    const good = await chain.verifyInclusion(seq - 1, cp.size, leaf, path, cp.root);
    path[0][5] ^= 1;
    const flipped = await chain.verifyInclusion(seq - 1, cp.size, leaf, path, cp.root);
    const lines = proof.checkpoint.split('\n');
    lines[1] = String(Number(lines[1]) + 1);
    const resized = await chain.openCheckpoint(lines.join('\n'), vkey);
    const [name, id] = vkey.split('+');
    const otherKey = `${name}+${id}+AQ${'A'.repeat(42)}`;
    const stranger = await chain.openCheckpoint(proof.checkpoint, otherKey);
    return {
      records: forged.map((f) => [out.records.get(f.seq)?.ok, out.records.get(f.seq)?.problem ?? '']),
      good, flipped, signed: cp.signed, resized: resized.signed, stranger: stranger.signed,
    };
  }, site.publicKey);
  assert.deepEqual(refused.records.map((x) => x[0]), [false, false, false]);
  assert.match(refused.records[0][1], /actor/);
  assert.match(refused.records[1][1], /payloadDigest/);
  assert.equal(refused.records[2][1], 'hash'); // the proof starts from the recomputed hash
  assert.deepEqual([refused.good, refused.flipped], [true, false]);
  assert.deepEqual([refused.signed, refused.resized, refused.stranger], [true, false, false]);
  await screenshot(page, 'audit-correction');
});

test('a packing step starts only once its line is cleared and verified by a second person, each signed, and its labels are counted back', async () => {
  const planner = await plant.api('planner');
  for (const command of [
    { type: 'routing.define', commandId: 'ui-lc-rt', data: { routing: 'rt-ui-pack', material: 'baby-spinach-6oz', steps: [{ step: 'pack', workCenter: 'pack', lineClearance: true, labelling: true }] } },
    { type: 'wo.create', commandId: 'ui-lc-wo', data: { wo: 'WO-UI-PACK', material: 'baby-spinach-6oz', qty: 50, routing: 'rt-ui-pack', due: '2027-12-31T00:00:00Z' } },
    { type: 'wo.release', commandId: 'ui-lc-rel', data: { wo: 'WO-UI-PACK' } },
  ]) {
    const r = await planner.post('/v1/commands', command);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const packers = (await planner.get('/v1/equipment?limit=1000')).body.items;
  const packer = packers.find((/** @type {any} */ e) => e.workCenter === 'pack' && e.state === 'idle');
  assert.ok(packer, 'an idle packer');

  const operator = await plant.signedIn('operator');
  await operator.fill('#wo', 'WO-UI-PACK');
  await operator.press('#wo', 'Enter');
  await operator.waitForSelector('.clearance-state:text("Not cleared yet")');
  await operator.click(`.choices .choice:text("${packer.equipment}")`);
  // Started before its line is cleared: refused, and nothing written.
  await operator.click('button:text("Start the step")');
  await operator.waitForSelector('#floor-error');
  assert.match(await text(operator, '#floor-error'), /has not been cleared/);
  const qa = await plant.api('qa');
  const pending = (await qa.get('/v1/work-orders/WO-UI-PACK')).body;
  assert.equal(pending.state.steps[0].status, 'pending');
  assert.equal(pending.history.length, 2, 'created and released, nothing more');

  // Olga clears the line and signs it.
  await operator.check('#materials-removed');
  await operator.check('#labels-removed');
  await operator.click(`button:text("Record the line clearance on ${packer.equipment}")`);
  await operator.waitForSelector('#sig-text:text("line.clear")');
  assert.equal(await operator.inputValue('#sig-user'), 'olga', 'her first signature of the session');
  await operator.fill('#sig-password', PASSWORD);
  await operator.click('dialog button[type=submit]');
  await operator.waitForSelector('p.done:text("Signed by Olga Petrova")');
  await operator.waitForSelector('.clearance-state:text("a second person must verify it")');
  await screenshot(operator, 'floor-line-clearance');
  // She cannot verify her own clearance.
  await operator.click('button:text("Verify the line clearance by user:olga")');
  await operator.waitForSelector('#sig-text:text("line.verify")');
  await operator.fill('#sig-password', PASSWORD);
  await operator.click('dialog button[type=submit]');
  await operator.waitForSelector('#sig-error');
  assert.match(await text(operator, '#sig-error'), /second person/);
  await operator.press('dialog', 'Escape');

  // Sam, the supervisor, verifies it on his own terminal.
  const supervisor = await plant.signedIn('supervisor');
  await supervisor.goto(plant.url + '/#/floor');
  await supervisor.fill('#wo', 'WO-UI-PACK');
  await supervisor.press('#wo', 'Enter');
  await supervisor.click('button:text("Verify the line clearance by user:olga")');
  await supervisor.waitForSelector('#sig-text:text("line.verify")');
  assert.equal(await supervisor.inputValue('#sig-user'), 'sam');
  await supervisor.fill('#sig-password', PASSWORD);
  await supervisor.click('dialog button[type=submit]');
  await supervisor.waitForSelector('.clearance-state:text("verified by user:sam")');

  // Now the step starts; at the end the labels are counted back, two short.
  await operator.press('#wo', 'Enter');
  await operator.waitForSelector('.clearance-state:text("verified by user:sam")');
  await operator.click('button:text("Start the step")');
  await operator.waitForSelector('p.done:text("Recorded: start pack")');
  await operator.fill('#issued', '60');
  await operator.fill('#used', '50');
  await operator.fill('#destroyed', '3');
  await operator.fill('#returned', '5');
  await operator.click('button:text("Reconcile the labels")');
  await operator.waitForSelector('.labels-state .flag:text("2 unaccounted for")');
  await screenshot(operator, 'floor-labels');

  const wo = (await qa.get('/v1/work-orders/WO-UI-PACK')).body;
  const pack = wo.state.steps[0];
  assert.equal(pack.clearance.by, 'user:olga');
  assert.equal(pack.clearance.verifiedBy, 'user:sam');
  assert.equal(pack.clearance.equipment, packer.equipment);
  assert.deepEqual([pack.labels.issued, pack.labels.used, pack.labels.destroyed, pack.labels.returned], [60, 50, 3, 5]);
  const clear = wo.history.find((/** @type {any} */ h) => h.type === 'line.cleared');
  assert.equal(clear.signatures[0].meaning, 'performed');
  const raised = wo.history.find((/** @type {any} */ h) => h.type === 'exception.raised');
  assert.ok(raised, 'the count that does not add up raised an exception');
  assert.match(raised.payload.description, /2 unaccounted for/);
});

test('the Chinese locale shows no untranslated string', async () => {
  const page = await plant.signedIn('qa', { locale: 'zh-CN' });
  /** Visible chrome (headings, labels, buttons, headers) with words in Latin letters. */
  const english = async () => page.evaluate(() => {
    const found = [];
    for (const el of document.querySelectorAll('h1, h2, label:not(.locale), th, nav a, button, .hint, .live, .banner, .history dt, p')) {
      const words = (el.textContent ?? '').match(/[A-Za-z]{3,}/g) ?? [];
      const ids = /** @type {HTMLElement} */ (el).innerText.match(/[\w.:-]*\d[\w.:-]*/g) ?? [];
      const left = words.filter((w) => !['custody', 'SPC', 'KPI', 'FSMA', 'UTC', 'PST', 'PDT', 'America', 'Los_Angeles', 'Angeles', 'Los', 'SSCC'].includes(w) && !ids.some((id) => id.includes(w)));
      if (left.length > 0) found.push(`${el.tagName}: ${el.textContent}`);
    }
    return found;
  });
  for (const hash of ['#/boards', '#/qa', '#/exceptions', '#/recall', '#/enterprise', '#/orders', '#/orders/WO-UI-1', '#/kpi', '#/admin', '#/audit/lots/RAW-UI-2']) {
    await page.goto(plant.url + '/' + hash);
    await page.waitForSelector('main h1');
    await page.waitForTimeout(300);
    assert.deepEqual(await english(), [], `English on ${hash}`);
  }
  await screenshot(page, 'audit-trail-zh-CN');
  const operator = await plant.signedIn('operator', { locale: 'zh-CN' });
  await operator.fill('#wo', 'WO-UI-1');
  await operator.press('#wo', 'Enter');
  await operator.waitForSelector('#order-title');
  await screenshot(operator, 'floor-terminal-zh-CN');
  for (const p of [page, operator]) {
    assert.deepEqual(await p.evaluate(() => [.../** @type {any} */ (window).custodyMissingMessages]), []);
  }
  await page.waitForSelector('header.top .zone:text("America/Los_Angeles")');
});

test('axe-core finds no serious or critical accessibility violation on any screen', async () => {
  const axe = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  /** @param {import('playwright-core').Page} page */
  const violations = async (page) => {
    await page.addScriptTag({ path: axe });
    return page.evaluate(async () => {
      const result = await /** @type {any} */ (window).axe.run(document, { resultTypes: ['violations'] });
      return result.violations
        .filter((/** @type {any} */ v) => v.impact === 'serious' || v.impact === 'critical')
        .map((/** @type {any} */ v) => `${v.id}: ${v.help} (${v.nodes.map((/** @type {any} */ n) => n.target.join(' ')).join(', ')})`);
    });
  };
  const anonymous = await plant.page({ bypassCSP: true });
  await anonymous.goto(plant.url + '/');
  await anonymous.waitForSelector('#signin-user');
  assert.deepEqual(await violations(anonymous), [], 'sign-in');

  const operator = await plant.signedIn('operator', { bypassCSP: true });
  await operator.fill('#wo', 'WO-UI-1');
  await operator.press('#wo', 'Enter');
  await operator.waitForSelector('#order-title');
  assert.deepEqual(await violations(operator), [], 'floor terminal');

  const qa = await plant.signedIn('qa', { bypassCSP: true });
  for (const hash of ['#/boards', '#/qa', '#/exceptions', '#/recall', '#/enterprise', '#/orders', '#/orders/WO-UI-1', '#/kpi', '#/admin', '#/audit/lots/RAW-UI-2']) {
    await qa.goto(plant.url + '/' + hash);
    await qa.waitForSelector('main h1');
    await qa.waitForTimeout(500);
    assert.deepEqual(await violations(qa), [], hash);
  }
});

test('no page logged an error or asked anything of another server', () => {
  assert.deepEqual(plant.problems, []);
});

// The web UI's measures (docs/BENCHMARKS.md): a real `custody serve` and Debian's chromium,
// headless, on loopback.
//
//   node tools/bench/bench_ui.mjs            # CUSTODY_BINARY=build/release/tools/custody
//
// 1. The floor terminal's first load: bytes the browser receives (and what they would be
//    gzip-compressed), and the time until the sign-in form, then the floor terminal after
//    signing in, can be used.
// 2. From a committed record to the changed screen: a planner's work order, acknowledged by
//    the server, until its row is on a supervisor's WIP board (wall clock of both processes).
// 3. A WIP board of 1,000 open orders: from choosing the screen until every row is drawn.
// 4. A recall graph of about 11,000 lots: from asking until the graph can be used (collapsed,
//    laid out by the server).
import { gzipSync } from 'node:zlib';
import { PASSWORD, Plant } from '../../tests/ui/harness.mjs';

const OPEN_ORDERS = Number(process.env.CUSTODY_BENCH_OPEN_ORDERS ?? 1000);
const RECALL_ORDERS = Number(process.env.CUSTODY_BENCH_RECALL_ORDERS ?? 100);
const LOTS_PER_ORDER = Number(process.env.CUSTODY_BENCH_LOTS_PER_ORDER ?? 110);
const SAMPLES = Number(process.env.CUSTODY_BENCH_SAMPLES ?? 20);

/** 1,000 released orders, and a supplier lot consumed by 100 orders of 110 lots each. */
function dataset() {
  const extra = [];
  for (let i = 0; i < OPEN_ORDERS; ++i) {
    const wo = `WO-OPEN-${String(i).padStart(4, '0')}`;
    extra.push({ type: 'wo.create', commandId: `b-${wo}`, data: { wo, material: 'baby-spinach-6oz', qty: 100, routing: 'rt-baby-spinach-6oz', due: '2027-12-31T00:00:00Z' } });
    extra.push({ type: 'wo.release', commandId: `b-rel-${wo}`, data: { wo } });
  }
  extra.push({ type: 'lot.receive', commandId: 'b-raw', data: { lot: 'RAW-BIG', material: 'baby-spinach', qty: 1000000, uom: 'kg', supplier: 'sunrise-produce', supplierLot: 'SUP-BIG', location: 'raw-cooler' } });
  extra.push({ type: 'lot.release', commandId: 'b-raw-rel', data: { lot: 'RAW-BIG' } });
  for (let i = 0; i < RECALL_ORDERS; ++i) {
    const wo = `WO-BIG-${String(i).padStart(3, '0')}`;
    extra.push({ type: 'wo.create', commandId: `b-${wo}`, data: { wo, material: 'baby-spinach-6oz', qty: LOTS_PER_ORDER, routing: 'rt-baby-spinach-6oz', due: '2027-12-31T00:00:00Z' } });
    extra.push({ type: 'wo.release', commandId: `b-rel-${wo}`, data: { wo } });
    extra.push({ type: 'op.start', commandId: `b-start-${wo}`, data: { wo, step: 'wash', equipment: 'flume-1' } });
    extra.push({ type: 'lot.consume', commandId: `b-use-${wo}`, data: { wo, step: 'wash', lot: 'RAW-BIG', qty: 100 } });
    for (let j = 0; j < LOTS_PER_ORDER; ++j) {
      extra.push({ type: 'lot.produce', commandId: `b-make-${wo}-${j}`, data: { wo, step: 'wash', lot: `F-BIG-${i}-${j}`, qty: 1 } });
    }
    extra.push({ type: 'op.complete', commandId: `b-done-${wo}`, data: { wo, step: 'wash' } });
  }
  return extra;
}

/** @param {number[]} xs */
function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  /** @param {number} p */
  const at = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `p50 ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms (${s.length} samples)`;
}

const plant = new Plant();
let started = Date.now();
plant.seed({ days: 2, extra: dataset() });
console.log(`dataset: 2 generated plant days, ${OPEN_ORDERS} open orders, a supplier lot into ${RECALL_ORDERS} x ${LOTS_PER_ORDER} lots (${((Date.now() - started) / 1000).toFixed(1)} s to build)`);
await plant.start();

// 1. First load.
{
  const page = await plant.page();
  let bytes = 0;
  let gz = 0;
  const bodies = [];
  page.on('response', async (r) => {
    try {
      const body = await r.body();
      bodies.push(r.url());
      bytes += body.length;
      gz += gzipSync(body).length;
    } catch {
      // a WebSocket upgrade has no body
    }
  });
  const t0 = Date.now();
  await page.goto(plant.url + '/');
  await page.waitForSelector('#signin-user:not([disabled])');
  const signInReady = Date.now() - t0;
  await page.waitForLoadState('networkidle');
  const signInBytes = bytes;
  const signInGz = gz;
  const t1 = Date.now();
  await page.fill('#signin-user', 'olga');
  await page.fill('#signin-password', PASSWORD);
  await page.click('form button[type=submit]');
  await page.waitForSelector('#wo');
  const floorReady = Date.now() - t1;
  await page.waitForLoadState('networkidle');
  console.log(`1. first load: sign-in page usable in ${signInReady} ms, ${(signInBytes / 1024).toFixed(1)} KiB received (${(signInGz / 1024).toFixed(1)} KiB gzip-compressed), ${bodies.length} files;`);
  console.log(`   floor terminal usable ${floorReady} ms after signing in (argon2id included); ${(bytes / 1024).toFixed(1)} KiB in all (${(gz / 1024).toFixed(1)} KiB gzip-compressed)`);
}

// 2. Committed record to changed screen.
{
  const board = await plant.signedIn('supervisor');
  await board.goto(plant.url + '/#/boards');
  await board.waitForSelector('.live:text("Live")');
  await board.waitForSelector('tr[data-wo]');
  const latencies = [];
  await board.evaluate(() => {
    /** @type {any} */ (window).seen = {};
    new MutationObserver(() => {
      for (const tr of document.querySelectorAll('tr[data-wo^="WO-LAT-"]')) {
        const id = /** @type {HTMLElement} */ (tr).dataset.wo ?? '';
        /** @type {any} */ (window).seen[id] ??= Date.now();
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
  const plannerApi = await plant.api('planner');
  for (let i = 0; i < SAMPLES; ++i) {
    const wo = `WO-LAT-${i}`;
    const created = await plannerApi.post('/v1/commands', { type: 'wo.create', commandId: `lat-${i}`, data: { wo, material: 'baby-spinach-6oz', qty: 10, routing: 'rt-baby-spinach-6oz', due: '2027-12-31T00:00:00Z' } });
    if (created.status !== 200) throw new Error(JSON.stringify(created.body));
    const r = await plannerApi.post('/v1/commands', { type: 'wo.release', commandId: `lat-rel-${i}`, data: { wo } });
    const acknowledged = Date.now();
    if (r.status !== 200) throw new Error(JSON.stringify(r.body));
    await board.waitForSelector(`tr[data-wo="${wo}"]`, { timeout: 10000 });
    const seen = await board.evaluate((id) => /** @type {any} */ (window).seen[id], wo);
    latencies.push(seen - acknowledged);
    await new Promise((res) => setTimeout(res, 200));
  }
  console.log(`2. committed record to changed WIP board: ${summary(latencies)}`);
}

// 3. WIP board of 1,000 open orders.
{
  const page = await plant.signedIn('supervisor');
  const times = [];
  const renders = [];
  for (let i = 0; i < 5; ++i) {
    await page.goto(plant.url + '/#/floor');
    await page.waitForSelector('#wo');
    const [total, render, rows] = await page.evaluate(async (minimum) => {
      const t0 = performance.now();
      location.hash = '#/boards';
      await new Promise((resolve) => {
        const check = () => (document.querySelectorAll('table.wip tbody tr').length >= minimum ? resolve(null) : requestAnimationFrame(check));
        check();
      });
      // Until the browser has painted them.
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      const t1 = performance.now();
      const wip = performance.getEntriesByType('resource').filter((e) => e.name.includes('/v1/boards/wip')).pop();
      return [t1 - t0, wip ? t1 - /** @type {PerformanceResourceTiming} */ (wip).responseEnd : NaN, document.querySelectorAll('table.wip tbody tr').length];
    }, OPEN_ORDERS);
    times.push(total);
    renders.push(render);
    if (i === 0) console.log(`   (${rows} rows)`);
  }
  console.log(`3. WIP board of ${OPEN_ORDERS}+ open orders, choice to painted: ${summary(times)}; of which after the answer arrived: ${summary(renders)}`);
}

// 4. Recall graph of ~11k lots.
{
  const page = await plant.signedIn('qa');
  const times = [];
  let nodes = 0;
  let lots = 0;
  for (let i = 0; i < 3; ++i) {
    await page.goto(plant.url + '/#/boards');
    await page.goto(plant.url + '/#/recall');
    await page.fill('#recall-supplier', 'sunrise-produce');
    await page.fill('#recall-supplier-lot', 'SUP-BIG');
    await page.evaluate(() => { /** @type {any} */ (window).custodyRecallGraph = null; });
    const t0 = Date.now();
    await page.click('form.lookup button[type=submit]');
    await page.waitForFunction(() => /** @type {any} */ (window).custodyRecallGraph !== null, null, { timeout: 60000 });
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    times.push(Date.now() - t0);
    nodes = await page.evaluate(() => /** @type {any} */ (window).custodyRecallGraph.nodes);
    lots = Number(/^\d+/.exec((await page.locator('#recall-summary').textContent()) ?? '')?.[0] ?? 0);
  }
  console.log(`4. recall of ${lots} lots (tables show the first 500), graph of ${nodes} nodes (collapsed), ask to usable: ${summary(times)}`);
}

await plant.stop();

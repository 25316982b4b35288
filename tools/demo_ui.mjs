// tools/demo.sh's look at the web UI: Debian's chromium, headless, signs in as a person and
// saves a screenshot of a few screens.
//
//   node tools/demo_ui.mjs URL USER PASSWORD_FILE OUT_DIR LOT
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, user, passwordFile, out, lot] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CUSTODY_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await page.goto(url + '/');
  await page.fill('#signin-user', user);
  await page.fill('#signin-password', readFileSync(passwordFile, 'utf8').trim());
  await page.click('form button[type=submit]');
  await page.waitForSelector('header.top nav');
  console.log(`    signed in as ${await page.locator('header.top .who').textContent()}; offered: ${(await page.locator('header.top nav a').allTextContents()).join(', ')}`);
  for (const [name, hash] of [['boards', '#/boards'], ['audit', `#/audit/lots/${encodeURIComponent(lot)}`]]) {
    await page.goto(`${url}/${hash}`);
    await page.waitForSelector('main h1');
    await page.waitForTimeout(700);
    const file = join(out, `ui-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`    ${hash}: "${await page.locator('main h1').textContent()}", saved ${file}`);
  }
} finally {
  await browser.close();
}

// End-to-end tests of the looper view in headless Chromium: pills, basal, predictions, markers on
// a 360 px phone and a desktop, the careportal (saved in one browser, shown in another, offline-safe),
// translations, and the axe-core audit. Screenshots go to docs/looper-phone.png and docs/looper-desktop.png.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, SECRET_SHA1, launchBrowser, startServer } from './harness.mjs';
import { seedLooper } from './looper.mjs';

let browser;
let server;
let seeded;
before(async () => {
  browser = await launchBrowser();
  // Nightscout computes a plugin's property only when it is in ENABLE.
  server = await startServer({ ENABLE: 'careportal iob cob basal pump loop openaps cage sage iage bage upbat rawbg bwp' });
  seeded = await seedLooper(server.base);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function open(viewport, { signedIn = false, theme = 'dark', lang } = {}) {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: viewport.width < 500 ? 2 : 1 });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.addInitScript(({ hash, signedIn, theme, lang }) => {
    if (signedIn) localStorage.setItem('ferroscout.credential', JSON.stringify({ kind: 'secret', hash }));
    localStorage.setItem('ferroscout.theme', theme);
    if (lang) localStorage.setItem('ferroscout.lang', lang);
  }, { hash: SECRET_SHA1, signedIn, theme, lang });
  await page.goto(`${server.base}/`);
  await page.waitForFunction(() => document.querySelector('#conn')?.classList.contains('live'), null, { timeout: 8000 });
  return page;
}

const drawn = (page) => page.evaluate(() => JSON.parse(document.querySelector('#chart')?.dataset.drawn ?? 'null'));

async function waitDrawn(page, ok, what) {
  try {
    await page.waitForFunction((src) => {
      const d = JSON.parse(document.querySelector('#chart')?.dataset.drawn ?? 'null');
      return d && new Function('d', `return ${src}`)(d);
    }, ok, { timeout: 8000 });
  } catch (e) {
    throw new Error(`${what}: the chart drew ${JSON.stringify(await drawn(page))}`, { cause: e });
  }
}

/** The properties the server answers with display values (the pills that must show). */
async function serverPills() {
  const r = await fetch(`${server.base}/api/v2/properties/iob,cob,basal,pump,loop,openaps,cage,sage,iage,bage,upbat`, { headers: { 'api-secret': SECRET_SHA1 } });
  assert.equal(r.status, 200);
  const p = await r.json();
  // [pill id, the value it must show] for each property present.
  const want = [];
  if (p.iob?.display !== undefined) want.push(['iob', `${p.iob.display}U`]);
  if (p.cob?.display !== undefined) want.push(['cob', `${Math.round(p.cob.display * 10) / 10}g`]);
  if (p.openaps?.status && p.openaps.lastLoopMoment) want.push(['loop', null]);
  if (p.pump?.data?.reservoir?.display) want.push(['reservoir', p.pump.data.reservoir.display]);
  if (p.pump?.data?.battery?.display) want.push(['pumpbattery', p.pump.data.battery.display]);
  for (const k of ['sage', 'cage', 'iage', 'bage']) if (p[k]?.found) want.push([k, p[k].display]);
  if (p.upbat?.display && p.upbat.display !== '?%') want.push(['upbat', p.upbat.display]);
  return want;
}

for (const [name, viewport] of [['phone', { width: 360, height: 800 }], ['desktop', { width: 1280, height: 900 }]]) {
  describe(`looper view on a ${name}`, () => {
    test('pills, the basal lane, the loop predictions, the AR2 cone and aggregated SMB markers are drawn; a tap shows details', async () => {
      const page = await open(viewport);
      await waitDrawn(page, 'd.basal > 5 && d.curves.length >= 3 && d.cone === 13 && d.markers.length > 0', 'basal, predictions and cone');
      const d = await drawn(page);
      assert.deepEqual(d.curves, ['IOB', 'ZT', 'COB', 'UAM']);
      const smbsShown = seeded.treatments.filter((t) => t.isSMB && Date.parse(t.created_at) > Date.now() - 3 * 3600_000).length;
      const insulin = d.markers.filter((m) => m.kind === 'insulin');
      assert.ok(insulin.reduce((s, m) => s + m.n, 0) >= smbsShown, 'every SMB in view is in a marker');
      if (name === 'phone') assert.ok(insulin.length < smbsShown / 1.5, `SMBs aggregated on a phone: ${insulin.length} markers for ${smbsShown} SMBs`);
      // Tap the biggest cluster: its treatments are listed under the chart.
      const big = insulin.reduce((a, b) => (b.n > a.n ? b : a));
      const over = await page.locator('#chart .u-over').boundingBox();
      await page.mouse.click(over.x + big.x, over.y + big.y);
      await page.waitForSelector('#chart-detail:not([hidden])', { timeout: 2000 });
      assert.equal(await page.locator('#chart-detail li').count(), big.n);
      assert.match((await page.textContent('#chart-detail')) ?? '', /SMB/);
      // Pills: every property the server provides shows as a pill (the full set needs the plugins work).
      const want = await serverPills();
      console.log(`# pills the server's properties call for: ${want.map(([id]) => id).join(', ')}`);
      assert.ok(want.some(([id]) => id === 'upbat'), 'the server reports the uploader battery');
      try {
        await page.waitForFunction((w) => w.every(([id, value]) => {
          const el = document.querySelector(`#looper-pills [data-pill="${id}"] .pill-value`);
          return el && (value === null || el.textContent === value);
        }), want, { timeout: 8000 });
      } catch (e) {
        throw new Error(`pills ${JSON.stringify(want)}; shown: ${await page.textContent('#looper-pills')}`, { cause: e });
      }
      const cage = await page.$('#looper-pills [data-pill="cage"]');
      if (cage) assert.match(await cage.getAttribute('class'), /level-warn/, 'a 50 h old cannula is a warning');
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), viewport.width, 'no sideways scrolling');
      assert.equal(await page.isVisible('#careportal-open'), false, 'no careportal button for a visitor who may not write');
      mkdirSync(path.join(ROOT, 'docs'), { recursive: true });
      // The phone's screenshot shows the tapped cluster's list; the desktop's the chart alone.
      if (name === 'desktop') await page.click('#chart-detail button');
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: path.join(ROOT, `docs/looper-${name}.png`), fullPage: true });
      await page.context().close();
    });
  });
}

describe('careportal', () => {
  test('an entry made in the browser reaches a second dashboard and the API', async () => {
    const a = await open({ width: 360, height: 800 }, { signedIn: true });
    const b = await open({ width: 1280, height: 900 });
    await a.waitForSelector('#careportal-open:not([hidden])', { timeout: 5000 });
    await a.click('#careportal-open');
    await a.selectOption('#cp-eventType', 'Carb Correction');
    assert.equal(await a.isVisible('#cp-insulin'), false, 'only the fields of the event type show');
    await a.fill('#cp-carbs', '17');
    await a.fill('#cp-notes', 'juice box');
    await a.click('#cp-submit');
    await a.waitForFunction(() => document.querySelector('dialog#careportal')?.open === false, null, { timeout: 5000 });
    for (const p of [a, b]) await waitDrawn(p, 'd.markers.some((m) => m.kind === "carbs" && m.total === 17)', 'the new carbs marker');
    const r = await fetch(`${server.base}/api/v1/treatments.json?find[eventType]=Carb%20Correction`, { headers: { 'api-secret': SECRET_SHA1 } });
    const list = await r.json();
    assert.equal(list.length, 1);
    assert.equal(list[0].carbs, 17);
    assert.equal(list[0].notes, 'juice box');
    await a.context().close();
    await b.context().close();
  });

  test('an announcement entered in the careportal shows on another dashboard until dismissed', async () => {
    const a = await open({ width: 360, height: 800 }, { signedIn: true });
    const b = await open({ width: 360, height: 800 });
    await a.waitForSelector('#careportal-open:not([hidden])', { timeout: 5000 });
    await a.click('#careportal-open');
    await a.selectOption('#cp-eventType', 'Announcement');
    await a.fill('#cp-notes', 'Pump site changed at school');
    await a.click('#cp-submit');
    await b.waitForSelector('#announcement:not([hidden])', { timeout: 5000 });
    assert.match((await b.textContent('#announcement')) ?? '', /Pump site changed at school/);
    await b.click('#announcement button');
    await b.waitForSelector('#announcement', { state: 'hidden', timeout: 2000 });
    await a.context().close();
    await b.context().close();
  });

  test('offline, a failed save says so and keeps the entry; saving again once online stores it once', async () => {
    const a = await open({ width: 360, height: 800 }, { signedIn: true });
    await a.waitForSelector('#careportal-open:not([hidden])', { timeout: 5000 });
    await a.route('**/api/v1/treatments', (route) => route.abort('internetdisconnected'));
    await a.click('#careportal-open');
    await a.selectOption('#cp-eventType', 'Note');
    await a.fill('#cp-notes', 'offline note');
    await a.click('#cp-submit');
    await a.waitForFunction(() => /cannot reach the server/.test(document.querySelector('#cp-status')?.textContent ?? ''), null, { timeout: 5000 });
    assert.equal(await a.inputValue('#cp-notes'), 'offline note', 'the form keeps the entry');
    const kept = await a.evaluate(() => JSON.parse(localStorage.getItem('ferroscout.careportal.pending') ?? '[]'));
    assert.equal(kept.length, 1);
    assert.equal(kept[0].notes, 'offline note');
    await a.unroute('**/api/v1/treatments');
    await a.click('#cp-submit');
    await a.waitForFunction(() => document.querySelector('dialog#careportal')?.open === false, null, { timeout: 5000 });
    assert.equal(await a.evaluate(() => localStorage.getItem('ferroscout.careportal.pending')), null);
    const r = await fetch(`${server.base}/api/v1/treatments.json?find[eventType]=Note`, { headers: { 'api-secret': SECRET_SHA1 } });
    assert.deepEqual((await r.json()).map((t) => t.notes), ['offline note']);
    await a.context().close();
  });

  test('an entry whose save failed survives a reload and is sent with Retry', async () => {
    const a = await open({ width: 360, height: 800 }, { signedIn: true });
    await a.waitForSelector('#careportal-open:not([hidden])', { timeout: 5000 });
    let refused = 0;
    await a.route('**/api/v1/treatments', (route) => {
      refused += 1;
      return route.abort('internetdisconnected');
    });
    await a.click('#careportal-open');
    await a.selectOption('#cp-eventType', 'Site Change');
    await a.fill('#cp-notes', 'left arm');
    await a.click('#cp-submit');
    await a.waitForFunction(() => /cannot reach the server/.test(document.querySelector('#cp-status')?.textContent ?? ''), null, { timeout: 5000 });
    await a.click('#cp-cancel');
    const beforeReload = refused;
    await a.reload();
    await a.waitForSelector('#cp-pending:not([hidden])', { timeout: 5000 });
    assert.match((await a.textContent('#cp-pending')) ?? '', /Site Change/);
    // The page retries by itself once it learns it may write; let that (still offline) attempt run
    // first, so the tap below is what sends the entry.
    for (let i = 0; refused === beforeReload; i++) {
      assert.ok(i < 200, 'the page retries the kept entry by itself once it may write');
      await new Promise((r) => setTimeout(r, 50));
    }
    await a.unroute('**/api/v1/treatments');
    await a.click('#cp-pending button');
    await a.waitForSelector('#cp-pending', { state: 'hidden', timeout: 5000 });
    const r = await fetch(`${server.base}/api/v1/treatments.json?find[eventType]=Site%20Change&find[notes]=left%20arm`, { headers: { 'api-secret': SECRET_SHA1 } });
    assert.equal((await r.json()).length, 1);
    await a.context().close();
  });
});

describe('looper view, languages and accessibility', () => {
  test('a saved language choice translates the page (German)', async () => {
    const page = await open({ width: 360, height: 800 }, { lang: 'de' });
    await page.waitForFunction(() => document.documentElement.lang === 'de', null, { timeout: 5000 });
    assert.equal((await page.textContent('#signin'))?.trim(), 'Anmelden');
    assert.equal((await page.textContent('#stats-heading'))?.trim(), 'Sichtbarer Zeitraum');
    assert.match((await page.textContent('#conn')) ?? '', /live/);
    await page.context().close();
  });

  test('axe-core finds no violations on the looper view or the careportal, in both themes', async () => {
    const axe = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    for (const theme of ['dark', 'light']) {
      const page = await open({ width: 360, height: 800 }, { signedIn: true, theme });
      await waitDrawn(page, 'd.basal > 0', 'basal');
      await page.waitForSelector('#looper-pills [data-pill]', { timeout: 5000 });
      await page.addScriptTag({ content: axe });
      const run = () => page.evaluate(async () => (await window.axe.run(document)).violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
      assert.deepEqual(await run(), [], `${theme}: looper view`);
      await page.click('#careportal-open');
      await page.selectOption('#cp-eventType', 'Temporary Target');
      assert.deepEqual(await run(), [], `${theme}: careportal`);
      await page.context().close();
    }
  });
});

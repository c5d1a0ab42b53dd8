// End-to-end tests of the dashboard in headless Chromium (playwright-core) against a real server.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ROOT, SECRET, SECRET_SHA1, hasSocketIo, launchBrowser, postEntries, postTreatments, realisticDay, sgv, startProxy, startServer,
} from './harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function newPage(opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 412, height: 915 }, ...opts });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return page;
}

async function bgText(page) {
  return (await page.textContent('[data-testid=bg]'))?.trim();
}

async function waitForBg(page, text, timeout) {
  try {
    await page.waitForFunction((t) => document.querySelector('[data-testid=bg]')?.textContent?.trim() === t, text, { timeout });
  } catch (e) {
    const shown = await bgText(page).catch(() => '?');
    const conn = await page.textContent('#conn').catch(() => '?');
    throw new Error(`expected the reading ${text} within ${timeout} ms; the page shows ${shown} (${conn})`, { cause: e });
  }
}

describe('dashboard', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => server?.stop());

  test('the page loads light: the current reading shows after < 150 KiB in a handful of requests', async () => {
    await postEntries(server.base, [sgv(118, Date.now() - 5 * 60_000, 'Flat'), sgv(123, Date.now() - 10_000, 'FortyFiveUp')]);
    const page = await newPage();
    const responses = [];
    page.on('requestfinished', async (req) => {
      const sizes = await req.sizes().catch(() => null);
      responses.push({ url: req.url(), at: Date.now(), bytes: sizes ? sizes.responseBodySize + sizes.responseHeadersSize : 0 });
    });
    await page.goto(`${server.base}/`);
    await waitForBg(page, '123', 5000);
    const shownAt = Date.now();
    await page.waitForTimeout(300);
    const before = responses.filter((r) => r.at <= shownAt);
    const kib = before.reduce((s, r) => s + r.bytes, 0) / 1024;
    console.log(`# page weight before the reading shows: ${kib.toFixed(1)} KiB in ${before.length} responses`);
    for (const r of before) console.log(`#   ${(r.bytes / 1024).toFixed(1).padStart(6)} KiB ${new URL(r.url).pathname}`);
    assert.ok(kib < 150, `${kib} KiB`);
    // Page, CSS, JS, icon, status.json, the newest readings, the day's payload (/api/v2/dataupdate)...
    assert.ok(before.length <= 9, `${before.length} requests`);
    assert.match((await page.textContent('[data-testid=delta]')) ?? '', /^\+5 mg\/dL$/);
    assert.equal(await page.getAttribute('#arrow', 'aria-label'), 'rising slowly');
    assert.match((await page.textContent('[data-testid=ago]')) ?? '', /just now|1 min ago/);
    assert.ok(await page.locator('#chart canvas').count(), 'uPlot chart drawn');
    assert.ok(await page.evaluate(() => !!document.querySelector('link[rel=manifest]')));
    // Browsers play sound only after a gesture: the page offers one, and it goes away once used.
    assert.ok(await page.isVisible('#sound-enable'));
    await page.click('#sound-enable');
    await page.waitForSelector('#sound-enable', { state: 'hidden', timeout: 2000 });
    await page.context().close();
  });

  test('units toggle shows mmol/L with Nightscout 15 conversion', async () => {
    const page = await newPage();
    await page.goto(`${server.base}/`);
    await waitForBg(page, '123', 5000);
    await page.click('#units-toggle');
    await waitForBg(page, '6.8', 1000);
    assert.match((await page.textContent('[data-testid=delta]')) ?? '', /mmol\/L/);
    await page.context().close();
  });

  test('accessible (axe-core finds no violations) and fits a 360 px phone, in both themes', async () => {
    const axe = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    for (const theme of ['dark', 'light']) {
      const page = await newPage({ viewport: { width: 360, height: 800 } });
      await page.addInitScript((t) => localStorage.setItem('ferroscout.theme', t), theme);
      await page.goto(`${server.base}/`);
      await waitForBg(page, '123', 5000);
      await page.addScriptTag({ content: axe });
      const violations = await page.evaluate(async () =>
        (await window.axe.run(document)).violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
      );
      assert.deepEqual(violations, [], theme);
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 360, `${theme}: no sideways scrolling`);
      await page.context().close();
    }
  });

  test('a saved secret that no longer works is forgotten: the page says so and shows public data', async () => {
    const page = await newPage();
    await page.addInitScript(() => {
      if (!sessionStorage.getItem('seeded')) {
        sessionStorage.setItem('seeded', '1');
        localStorage.setItem('ferroscout.credential', JSON.stringify({ kind: 'secret', hash: '0'.repeat(40) }));
      }
    });
    await page.goto(`${server.base}/`);
    await waitForBg(page, '123', 12_000);
    await page.waitForSelector('dialog#auth[open]', { timeout: 5000 });
    assert.match((await page.textContent('#auth-error')) ?? '', /not accepted/);
    assert.equal(await page.evaluate(() => localStorage.getItem('ferroscout.credential')), null);
    await page.context().close();
  });

  test('served under a sub-path, every request stays under it', async () => {
    const proxy = await startProxy(server.base, { prefix: '/dante/' });
    try {
      const page = await newPage();
      const outside = [];
      page.on('request', (r) => {
        const p = new URL(r.url()).pathname;
        if (!p.startsWith('/dante/')) outside.push(p);
      });
      await page.goto(proxy.url);
      await page.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-testid=bg]')?.textContent ?? ''), null, { timeout: 5000 });
      assert.deepEqual(outside, []);
      await page.context().close();
    } finally {
      await proxy.stop();
    }
  });

});

/**
 * The live-push tests, run against `open()` → {page URL, POST base, polling URL, stop}: ferroscout's
 * own socket.io, directly, behind a proxy that blocks websockets, and behind one that can drop connections.
 */
function realtimeSuite(name, open) {
  describe(name, () => {
    let env;
    before(async () => {
      env = await open();
    });
    after(async () => env?.stop());

    test('a reading POSTed over REST appears within 2 s over websocket', async (t) => {
      if (!env.ok) return t.skip(env.why);
      const page = await newPage();
      await page.goto(env.pageUrl);
      await page.waitForFunction(() => document.querySelector('#conn')?.dataset.transport === 'websocket', null, { timeout: 5000 });
      await postEntries(env.postBase, [sgv(141, Date.now(), 'SingleUp')]);
      await waitForBg(page, '141', 2000);
      await page.context().close();
    });

    test('with websockets blocked by a proxy, the page falls back to long-polling and stays live', async (t) => {
      if (!env.ok) return t.skip(env.why);
      const page = await newPage();
      await page.goto(env.blockedUrl);
      await page.waitForFunction(() => document.querySelector('#conn')?.dataset.transport === 'polling', null, { timeout: 8000 });
      await postEntries(env.blockedPostBase ?? env.postBase, [sgv(152, Date.now(), 'SingleUp')]);
      await waitForBg(page, '152', 2000);
      await page.context().close();
    });

    test('after a dropped connection it reconnects and catches up on what it missed', async (t) => {
      if (!env.ok || !env.drop) return t.skip(env.why ?? 'no way to drop connections here');
      const page = await newPage();
      await page.goto(env.dropPageUrl ?? env.pageUrl);
      await page.waitForFunction(() => document.querySelector('#conn')?.dataset.transport === 'websocket', null, { timeout: 5000 });
      env.drop();
      await postEntries(env.postBase, [sgv(163, Date.now(), 'FortyFiveUp')]);
      await page.waitForFunction(() => !document.querySelector('#conn')?.classList.contains('live'), null, { timeout: 2000 }).catch(() => {});
      await waitForBg(page, '163', 8000);
      await page.waitForFunction(() => document.querySelector('#conn')?.classList.contains('live'), null, { timeout: 5000 });
      await page.context().close();
    });

    test('a low reading raises the alarm banner, and a snooze clears it on every dashboard', async (t) => {
      if (!env.ok) return t.skip(env.why);
      // Acks are honoured for callers with the `notifications:*:ack` permission: `a` signs in, `b` does not.
      const a = await newPage();
      await a.addInitScript((hash) => localStorage.setItem('ferroscout.credential', JSON.stringify({ kind: 'secret', hash })), SECRET_SHA1);
      const b = await newPage();
      for (const p of [a, b]) {
        await p.goto(env.pageUrl);
        await p.waitForFunction(() => document.querySelector('#conn')?.classList.contains('live'), null, { timeout: 5000 });
      }
      await postEntries(env.postBase, [sgv(48, Date.now(), 'DoubleDown')]);
      for (const p of [a, b]) await p.waitForSelector('#alarm.urgent:not([hidden])', { timeout: 5000 });
      assert.match((await a.textContent('#alarm .alarm-title')) ?? '', /low/i);
      await a.click('#alarm .alarm-snooze button');
      await b.waitForSelector('#alarm', { state: 'hidden', timeout: 5000 });
      assert.match((await a.textContent('#snooze-note')) ?? '', /every dashboard/);
      await postEntries(env.postBase, [sgv(120, Date.now() + 1000, 'Flat')]);
      await a.context().close();
      await b.context().close();
    });
  });
}

realtimeSuite('realtime against ferroscout', async () => {
  const server = await startServer();
  assert.ok(await hasSocketIo(server.base), 'the server answers socket.io');
  const proxy = await startProxy(server.base, { prefix: '/dante/', blockWebSocket: true });
  const passThrough = await startProxy(server.base);
  return {
    ok: true,
    dropPageUrl: passThrough.url,
    drop: () => passThrough.drop(),
    pageUrl: `${server.base}/`,
    postBase: server.base,
    blockedUrl: proxy.url,
    async stop() {
      await proxy.stop();
      await passThrough.stop();
      await server.stop();
    },
  };
});

describe('stale data and CGM errors', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => server?.stop());

  test('old data turns the age warning, then urgent; a CGM error shows its code', async () => {
    await postEntries(server.base, [sgv(130, Date.now() - 20 * 60_000, 'Flat')]);
    const page = await newPage();
    await page.goto(`${server.base}/`);
    await page.waitForSelector('#now.stale-warn', { timeout: 5000 });
    assert.match((await page.textContent('#stale')) ?? '', /20 minutes old/);
    assert.equal(await page.textContent('[data-testid=ago]'), '20 min ago');
    await postEntries(server.base, [sgv(5, Date.now() - 19 * 60_000, 'NOT COMPUTABLE')]);
    await page.reload();
    await waitForBg(page, '?NC', 5000);
    assert.equal(await page.textContent('#arrow'), '✖');
    await page.context().close();
    const server2 = await startServer();
    try {
      await postEntries(server2.base, [sgv(130, Date.now() - 35 * 60_000, 'Flat')]);
      const p2 = await newPage();
      await p2.goto(`${server2.base}/`);
      await p2.waitForSelector('#now.stale-urgent', { timeout: 5000 });
      assert.match((await p2.textContent('#stale')) ?? '', /No data for 35 minutes/);
      await p2.context().close();
    } finally {
      await server2.stop();
    }
  });
});

describe('dashboard when anonymous reading is denied', () => {
  let server;
  before(async () => {
    server = await startServer({ AUTH_DEFAULT_ROLES: 'denied' });
    await postEntries(server.base, [sgv(101, Date.now() - 300_000), sgv(99, Date.now(), 'Flat')]);
  });
  after(async () => server?.stop());

  test('asks for the secret, says so when it is wrong, and keeps the right one on the device', async () => {
    const page = await newPage();
    await page.goto(`${server.base}/`);
    await page.waitForSelector('dialog#auth[open]', { timeout: 5000 });
    await page.fill('#auth-input', 'not the secret at all');
    await page.click('#auth-submit');
    await page.waitForFunction(() => /not accepted/.test(document.querySelector('#auth-error')?.textContent ?? ''), null, { timeout: 5000 });
    await page.fill('#auth-input', SECRET);
    await page.click('#auth-submit');
    await waitForBg(page, '99', 5000);
    assert.equal(await page.locator('dialog#auth[open]').count(), 0);
    const stored = await page.evaluate(() => localStorage.getItem('ferroscout.credential'));
    assert.ok(stored && !stored.includes(SECRET), 'only the hash is stored');
    await page.reload();
    await waitForBg(page, '99', 5000);
    assert.equal(await page.locator('dialog#auth[open]').count(), 0);
    await page.context().close();
  });
});

describe('screenshot', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => server?.stop());

  test('a realistic day of data, saved to docs/dashboard.png', async () => {
    const day = realisticDay();
    await postEntries(server.base, day.entries);
    assert.ok(await postTreatments(server.base, day.treatments), 'treatments stored');
    {
      const page = await newPage({ viewport: { width: 430, height: 932 }, deviceScaleFactor: 2 });
      await page.goto(`${server.base}/`);
      await waitForBg(page, String(day.entries.at(-1).sgv), 5000);
      await page.click('.ranges button[data-hours="24"]');
      await page.waitForFunction(() => document.querySelector('#conn')?.classList.contains('live'), null, { timeout: 5000 });
      await page.waitForFunction(() => document.querySelector('#stat-tir')?.textContent !== '–', null, { timeout: 8000 });
      await page.waitForTimeout(500);
      mkdirSync(path.join(ROOT, 'docs'), { recursive: true });
      await page.screenshot({ path: path.join(ROOT, 'docs/dashboard.png'), fullPage: true });
      assert.match((await page.textContent('#stat-tir')) ?? '', /^\d+%$/);
      await page.context().close();
    }
  });

  test('the history comes gzip-compressed over REST and the websocket carries only small deltas', async () => {
    const page = await newPage();
    const frames = [];
    page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(typeof f.payload === 'string' ? f.payload.length : f.payload.byteLength)));
    const full = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v2/dataupdate', { timeout: 5000 });
    await page.goto(`${server.base}/`);
    const res = await full;
    assert.equal(res.status(), 200);
    assert.equal((await res.allHeaders())['content-encoding'], 'gzip');
    const body = await res.json();
    assert.ok(body.sgvs.length >= 280, `${body.sgvs.length} readings of the day`);
    await page.waitForFunction(() => document.querySelector('#conn')?.classList.contains('live'), null, { timeout: 5000 });
    const last = Date.now() - 1000;
    await postEntries(server.base, [sgv(131, last, 'Flat')]);
    await waitForBg(page, '131', 5000);
    assert.ok(frames.length > 0, 'the socket is used');
    const biggest = Math.max(...frames);
    console.log(`# largest websocket frame: ${biggest} bytes; the day's payload over REST: ${JSON.stringify(body).length} bytes before gzip`);
    assert.ok(biggest < 8 * 1024, `no full payload on the socket (largest frame ${biggest} bytes)`);
    await page.context().close();
  });

  test('when /api/v2/dataupdate cannot be fetched, the socket sends the full payload instead', async () => {
    const page = await newPage();
    await page.route('**/api/v2/dataupdate', (route) => route.fulfill({ status: 404, body: 'Not Found' }));
    let full = 0;
    page.on('websocket', (ws) => ws.on('framereceived', (f) => {
      if (typeof f.payload === 'string' && f.payload.startsWith('42["dataUpdate"') && !f.payload.includes('"delta":true')) full += 1;
    }));
    await page.goto(`${server.base}/`);
    await waitForBg(page, '131', 5000);
    await page.waitForFunction(() => document.querySelector('#stat-tir')?.textContent !== '–', null, { timeout: 8000 });
    // The first reading may show from the quick REST read before the socket's payload comes.
    for (let i = 0; full === 0; i++) {
      assert.ok(i < 200, 'the full payload came on the socket');
      await new Promise((r) => setTimeout(r, 50));
    }
    await page.context().close();
  });
});

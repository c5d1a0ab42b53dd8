// The vendor-cloud bridge banner in a real browser: a Dexcom Share bridge whose server cannot be
// reached fails at once; with the alert delay at 0 the dashboard shows why, in plain words, and
// never the account name or password. A working site shows no banner.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, launchBrowser, startServer } from './harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

describe('bridge banner', () => {
  let server;
  before(async () => {
    // A port nobody listens on: every login attempt fails to connect.
    const dead = await freePort();
    server = await startServer({
      ENABLE: 'connect',
      CONNECT_SOURCE: 'dexcomshare',
      CONNECT_SHARE_ACCOUNT_NAME: 'banner.parent@example.com',
      CONNECT_SHARE_PASSWORD: 'banner secret password',
      CONNECT_SHARE_SERVER: `http://127.0.0.1:${dead}`,
      FERROSCOUT_BRIDGE_ALERT_AFTER_MS: '0',
      FERROSCOUT_BRIDGE_BACKOFF_MS: '60000',
    });
  });
  after(async () => server?.stop());

  test('a failing bridge shows a banner saying what failed and when it retries', async () => {
    const ctx = await browser.newContext({ viewport: { width: 412, height: 915 } });
    const page = await ctx.newPage();
    await page.goto(`${server.base}/`);
    const banner = page.locator('#bridge-banner');
    await banner.waitFor({ state: 'visible', timeout: 10_000 });
    const text = (await banner.textContent()) ?? '';
    assert.match(text, /Dexcom Share has failed for \d+ min: cannot connect to the vendor's server/);
    assert.match(text, /Next try at /);
    assert.doesNotMatch(text, /banner\.parent|banner secret/);
    assert.equal(await banner.getAttribute('role'), 'alert');
    await ctx.close();
  });

  test('without bridges there is no banner', async () => {
    const plain = await startServer();
    try {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.goto(`${plain.base}/`);
      await page.waitForSelector('#bridge-banner', { state: 'attached', timeout: 10_000 });
      assert.equal(await page.locator('#bridge-banner').isVisible(), false);
      await ctx.close();
    } finally {
      await plain.stop();
    }
  });
});

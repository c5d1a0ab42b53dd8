// The access-token page in headless Chromium against a real server: sign in with the API secret,
// create a token for a follower, see and copy its token and link, delete it; on a phone's width.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SECRET, SECRET_SHA1, launchBrowser, startServer } from './harness.mjs';

let browser;
let srv;
before(async () => {
  browser = await launchBrowser();
  srv = await startServer();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

describe('access-token page', () => {
  test('the admin signs in, creates a follower token that works at once, and deletes it', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.base });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${srv.base}/admin`);
    await page.waitForSelector('#signin:not([hidden])');

    await page.fill('#secret', 'not the secret at all');
    await page.click('#signin button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#signin-error')?.textContent?.includes('not accepted'));

    await page.fill('#secret', SECRET);
    await page.click('#signin button[type=submit]');
    await page.waitForSelector('#manage:not([hidden])');
    const stored = await page.evaluate(() => localStorage.getItem('ferroscout.credential'));
    assert.ok(stored?.includes(SECRET_SHA1) && !stored.includes(SECRET), 'only the SHA-1 is kept');
    assert.equal(await page.isChecked('input[name=role][value=readable]'), true, 'readable is the default');

    await page.fill('#name', "Grandma's phone");
    await page.click('#create button[type=submit]');
    const card = page.locator('.subject', { hasText: "Grandma's phone" });
    await card.waitFor();
    const token = (await card.locator('code.token').textContent()).trim();
    assert.match(token, /^grandmasph-[0-9a-f]{16}$/);
    const link = (await card.locator('code.link').textContent()).trim();
    assert.equal(link, `${srv.base}/?token=${token}`);
    await card.getByRole('button', { name: 'Copy follower link' }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);

    // The token works right away, as LoopFollow's first poll needs.
    const st = await (await fetch(`${srv.base}/api/v1/status.json?token=${token}`)).json();
    assert.equal(st.authorized.sub, "Grandma's phone");

    // Readable on a phone: nothing wider than the screen.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));

    page.once('dialog', (d) => d.accept());
    await card.getByRole('button', { name: 'Delete' }).click();
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'No tokens yet.');
    const res = await fetch(`${srv.base}/api/v1/entries.json`, { headers: { 'api-secret': token } });
    assert.equal(res.status, 401, 'a deleted token stops working at once');
    await ctx.close();
  });
});

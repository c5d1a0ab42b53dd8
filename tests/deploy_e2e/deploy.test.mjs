// Deployment end to end against the real binary: the dashboard under BASE_PATH in headless
// Chromium, socket.io-client with the `path` option under BASE_PATH, socket.io-client over wss to
// the native TLS listener (certificate generated here with openssl), and socket.io polling on the
// plain listener redirected to https. The socket.io connections are skipped, with a message, when
// the server has no socket.io yet (it comes with the realtime issue).
// Run by scripts/test-deploy-e2e; FERROSCOUT_BIN overrides target/debug/ferroscout.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { io } from 'socket.io-client';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET = 'this is my long pass phrase';
const children = [];
after(() => children.forEach((c) => c.kill('SIGTERM')));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** GET with node's http/https (no redirect following); resolves {status, headers, body}. */
function get(url, options = {}) {
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    lib
      .get(url, options, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

/** Starts the server binary; resolves once /health answers on `probe`. */
async function startServer(env, probe) {
  const bin = process.env.FERROSCOUT_BIN || path.join(ROOT, 'target/debug/ferroscout');
  assert.ok(existsSync(bin), `${bin} not found: run cargo build first (or set FERROSCOUT_BIN)`);
  const child = spawn(bin, [], {
    env: {
      PATH: process.env.PATH,
      HOSTNAME: '127.0.0.1',
      FERROSCOUT_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'ferroscout-deploy-e2e-')),
      API_SECRET: SECRET,
      AUTH_FAIL_DELAY: '0',
      RUST_LOG: 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await get(`${probe}/health`, { rejectUnauthorized: false })).status === 200) return child;
    } catch {
      /* not up yet */
    }
    if (i > 200) throw new Error('server did not answer /health');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether this build serves socket.io (the realtime issue). */
async function hasSocketIo(base, options = {}) {
  const res = await get(`${base}/socket.io/?EIO=4&transport=polling`, options);
  return res.status === 200 && res.body.startsWith('0{');
}

function connect(url, opts) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { reconnection: false, timeout: 10_000, ...opts });
    socket.on('connect', () => resolve(socket));
    socket.on('connect_error', (e) => {
      socket.close();
      reject(e);
    });
  });
}

test('the dashboard under BASE_PATH loads in Chromium and every request it makes stays under the prefix', async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  await startServer({ PORT: String(port), BASE_PATH: '/dante' }, base);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    const seen = [];
    page.on('response', (r) => seen.push({ url: new URL(r.url()), status: r.status() }));
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Loaded without the trailing slash, as a user types it: redirected to /dante/.
    await page.goto(`${base}/dante`, { waitUntil: 'load' });
    assert.equal(new URL(page.url()).pathname, '/dante/');
    // Not 'networkidle': socket.io long-polling keeps a request open. Give a dashboard that fetches
    // data after load the chance to do so (no assertion on time: a page that fetches nothing is fine).
    await page
      .waitForResponse((r) => /\/(api|socket\.io)\//.test(new URL(r.url()).pathname), { timeout: 5_000 })
      .catch(() => {});
    const own = seen.filter((r) => r.url.origin === base);
    assert.ok(own.length >= 1);
    for (const r of own) {
      assert.ok(r.url.pathname.startsWith('/dante'), `request outside the prefix: ${r.url.pathname}`);
      assert.ok(r.status < 400, `${r.url.pathname} answered ${r.status}`);
    }
    // The page's relative API URL resolves under the prefix and answers.
    const status = await page.evaluate(async () => (await fetch('api/v1/status.json')).json());
    assert.equal(status.status, 'ok');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('socket.io-client connects under BASE_PATH with the path option', async (t) => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  await startServer({ PORT: String(port), BASE_PATH: '/dante' }, base);
  if (!(await hasSocketIo(`${base}/dante`))) return t.skip('this build has no socket.io yet');
  for (const transports of [['polling'], ['websocket']]) {
    const socket = await connect(base, { path: '/dante/socket.io', transports });
    assert.ok(socket.connected, `connected with ${transports}`);
    socket.close();
  }
});

test('over native TLS, socket.io-client connects with wss and plain-http polling is redirected to https', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferroscout-deploy-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  const ca = readFileSync(cert);
  const [tlsPort, plainPort] = [await freePort(), await freePort()];
  const base = `https://localhost:${tlsPort}`;
  await startServer(
    { PORT: String(tlsPort), SSL_CERT: cert, SSL_KEY: key, FERROSCOUT_HTTP_PORT: String(plainPort) },
    `http://127.0.0.1:${plainPort}`,
  );
  // A real HTTPS client trusting only the generated certificate.
  const status = await get(`${base}/api/v1/status.json`, { ca });
  assert.equal(status.status, 200);
  assert.equal(status.headers['strict-transport-security'], 'max-age=31536000');
  // socket.io polling over plain http: 307 to the same URL on the TLS port.
  const polling = await get(`http://localhost:${plainPort}/socket.io/?EIO=4&transport=polling&t=x`);
  assert.equal(polling.status, 307);
  assert.equal(polling.headers.location, `${base}/socket.io/?EIO=4&transport=polling&t=x`);
  if (!(await hasSocketIo(base, { ca }))) return t.skip('this build has no socket.io yet');
  const socket = await connect(base, { transports: ['websocket'], ca });
  assert.ok(socket.connected);
  assert.equal(socket.io.engine.transport.name, 'websocket');
  socket.close();
});

test('on SIGTERM the server closes socket.io sessions so clients reconnect elsewhere, and exits 0', async (t) => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = await startServer({ PORT: String(port) }, base);
  if (!(await hasSocketIo(base))) return t.skip('this build has no socket.io yet');
  const opts = { reconnection: true, reconnectionDelay: 60_000 };
  const sockets = [
    await connect(base, { ...opts, transports: ['websocket'] }),
    await connect(base, { ...opts, transports: ['polling'] }),
  ];
  const seen = sockets.map(
    (s) =>
      new Promise((resolve) =>
        s.on('disconnect', (reason) => {
          const willReconnect = s.active;
          s.close();
          resolve({ reason, willReconnect });
        }),
      ),
  );
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.kill('SIGTERM');
  // The transport is closed (not a socket.io-level "io server disconnect", after which clients
  // would stay away), so socket.io-client reconnects by itself: to another instance or to us.
  for (const { reason, willReconnect } of await Promise.all(seen)) {
    assert.match(reason, /^transport (close|error)$/);
    assert.equal(willReconnect, true);
  }
  assert.deepEqual(await exited, { code: 0, signal: null });
});

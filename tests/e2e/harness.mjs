// Test harness: a ferroscout server on a free port with a fresh embedded store, a reverse proxy
// that can mount it under a sub-path and refuse WebSocket upgrades (like some corporate or hotel
// proxies), REST helpers, and headless Chromium through playwright-core.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SECRET = 'this is my long pass phrase';
export const SECRET_SHA1 = createHash('sha1').update(SECRET).digest('hex');

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts the server binary (FERROSCOUT_BIN, default target/debug/ferroscout). */
export async function startServer(env = {}) {
  const bin = process.env.FERROSCOUT_BIN || path.join(ROOT, 'target/debug/ferroscout');
  if (!existsSync(bin)) throw new Error(`${bin} not found: run \`cargo build\` first (or set FERROSCOUT_BIN)`);
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ferroscout-e2e-'));
  const child = spawn(bin, [], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOSTNAME: '127.0.0.1',
      FERROSCOUT_DATA_DIR: dataDir,
      API_SECRET: SECRET,
      AUTH_FAIL_DELAY: '0',
      RUST_LOG: 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/api/v1/status.json`, { headers: { 'api-secret': SECRET_SHA1 } });
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error('server did not start within 20 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    port,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** True when the server speaks Engine.IO at /socket.io (the realtime half is merged). */
export async function hasSocketIo(base) {
  try {
    const r = await fetch(`${base}/socket.io/?EIO=4&transport=polling`);
    return r.ok && (await r.text()).includes('"sid"');
  } catch {
    return false;
  }
}

/** A reverse proxy to `target`, mounted under `prefix`; `blockWebSocket` refuses every upgrade. */
export async function startProxy(target, { prefix = '/', blockWebSocket = false } = {}) {
  const t = new URL(target);
  const strip = (url) => (url.startsWith(prefix) ? `/${url.slice(prefix.length)}` : null);
  const server = http.createServer((req, res) => {
    const p = strip(req.url);
    if (p === null) {
      res.writeHead(404).end('outside the mount point');
      return;
    }
    const up = http.request(
      { host: t.hostname, port: t.port, method: req.method, path: p, headers: { ...req.headers, host: t.host } },
      (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const tunnels = new Set();
  server.on('upgrade', (req, socket, head) => {
    tunnels.add(socket);
    socket.on('close', () => tunnels.delete(socket));
    const p = strip(req.url);
    if (blockWebSocket || p === null) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const up = net.connect(Number(t.port), t.hostname, () => {
      const lines = [`${req.method} ${p} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head?.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    /** Cuts every connection through the proxy, as a network drop would. */
    drop() {
      for (const s of tunnels) s.destroy();
      server.closeAllConnections?.();
    },
    stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

export async function postEntries(base, entries) {
  const r = await fetch(`${base}/api/v1/entries`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-secret': SECRET_SHA1 },
    body: JSON.stringify(entries),
  });
  if (!r.ok) throw new Error(`POST entries: ${r.status} ${await r.text()}`);
}

/** Posts treatments; false when the server has no treatments API yet. */
export async function postTreatments(base, treatments) {
  const r = await fetch(`${base}/api/v1/treatments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-secret': SECRET_SHA1 },
    body: JSON.stringify(treatments),
  });
  return r.ok;
}

export function sgv(mgdl, date = Date.now(), direction = 'Flat') {
  return { type: 'sgv', sgv: mgdl, date, dateString: new Date(date).toISOString(), direction, device: 'e2e' };
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/** A day of plausible CGM data every 5 minutes ending now: meals, a correction, a night low. */
export function realisticDay(now = Date.now()) {
  const out = [];
  const step = 5 * 60_000;
  const start = now - 24 * 3600_000;
  const meals = [
    { at: start + 2 * 3600_000, rise: 95, carbs: 45, insulin: 4.5 },
    { at: start + 7 * 3600_000, rise: 120, carbs: 60, insulin: 5 },
    { at: start + 13 * 3600_000, rise: 80, carbs: 30, insulin: 3 },
    { at: start + 21.5 * 3600_000, rise: 60, carbs: 25, insulin: 2.5 },
  ];
  let prev = 110;
  for (let t = start; t <= now; t += step) {
    const h = (t - start) / 3600_000;
    let v = 112 + 12 * Math.sin(h / 3.2);
    for (const m of meals) {
      const dt = (t - m.at) / 3600_000;
      if (dt > 0) v += m.rise * Math.exp(-((dt - 1.1) ** 2) / 0.6) - (dt > 2 && dt < 4 ? 10 * Math.sin(((dt - 2) * Math.PI) / 2) : 0);
    }
    const night = (t - (start + 17 * 3600_000)) / 3600_000;
    v -= 52 * Math.exp(-(night ** 2) / 0.5);
    v += Math.sin(t / 997_000) * 3;
    const mgdl = Math.round(v);
    const d = mgdl - prev;
    const direction = d > 14 ? 'DoubleUp' : d > 7 ? 'SingleUp' : d > 3 ? 'FortyFiveUp' : d < -14 ? 'DoubleDown' : d < -7 ? 'SingleDown' : d < -3 ? 'FortyFiveDown' : 'Flat';
    prev = mgdl;
    out.push(sgv(mgdl, t, direction));
  }
  const treatments = meals.flatMap((m) => [
    { eventType: 'Meal Bolus', carbs: m.carbs, insulin: m.insulin, created_at: new Date(m.at).toISOString(), enteredBy: 'e2e' },
  ]);
  return { entries: out, treatments };
}

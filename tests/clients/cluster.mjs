// Several Ferroscout instances of one site (one MongoDB database, one Redis), a Redis server the
// test controls, and a TCP front end that sends each new connection to the first live instance
// (as a load balancer does once an instance stops answering).
import net from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { startServer } from './server.mjs';

const REDIS_BIN = process.env.FERROSCOUT_TEST_REDIS_SERVER || 'redis-server';

/** Multi-instance tests need MongoDB (the shared store) and a redis-server binary. */
export function clusterSkip() {
  if (!process.env.FERROSCOUT_TEST_MONGODB_URI) return 'needs FERROSCOUT_TEST_MONGODB_URI (the shared store)';
  if (spawnSync(REDIS_BIN, ['--version']).status !== 0) return `needs ${REDIS_BIN} (apt-get install redis-server)`;
  return false;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** A private redis-server on 127.0.0.1 (no persistence); `restart()` kills it and starts it again. */
export async function startRedis() {
  const port = await freePort();
  let child;
  const up = async () => {
    child = spawn(REDIS_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    await new Promise((resolve, reject) => {
      child.stdout.on('data', (b) => { log += b; if (/Ready to accept connections/.test(log)) resolve(); });
      child.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${log}`)));
    });
  };
  const down = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
  };
  await up();
  return { url: `redis://127.0.0.1:${port}`, stop: down, async restart() { await down(); await up(); } };
}

/** `n` instances sharing one fresh MongoDB database and the adapter `adapter` (redis, mongodb). */
export async function startCluster({ n = 2, redisUrl, adapter = 'redis', env = {} } = {}) {
  const db = 'fsc_' + randomBytes(6).toString('hex');
  const vars = { SOCKETIO_ADAPTER: adapter, ...env };
  if (redisUrl) vars.REDIS_URL = redisUrl;
  const nodes = [];
  for (let i = 0; i < n; i++) nodes.push(await startServer('mongo', { ...vars, FERROSCOUT_INSTANCE: `node-${i}` }, { db }));
  return {
    nodes,
    async stop() { for (const s of nodes) await s.stop(); },
  };
}

/** A TCP front end: each connection goes to the first of `nodes` that accepts it. */
export async function startFront(nodes) {
  const ports = nodes.map((s) => Number(new URL(s.url).port));
  const server = net.createServer((client) => {
    client.pause();
    const tryNode = (i) => {
      if (i >= ports.length) { client.destroy(); return; }
      const up = net.connect(ports[i], '127.0.0.1');
      up.once('error', () => tryNode(i + 1));
      up.once('connect', () => {
        up.removeAllListeners('error');
        const close = () => { client.destroy(); up.destroy(); };
        up.on('error', close); client.on('error', close);
        up.on('close', close); client.on('close', close);
        client.pipe(up); up.pipe(client); client.resume();
      });
    };
    tryNode(0);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** Polls `check` (async, truthy when done) every 100 ms until it is, or fails after `ms`. */
export async function until(check, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

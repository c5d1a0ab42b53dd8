// Starts a real Ferroscout binary on a random port with a fresh store, for client tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SECRET = 'this is my long pass phrase';
export const SECRET_SHA1 = createHash('sha1').update(SECRET).digest('hex');

/** Backends to run against: SQLite always, MongoDB when the test script started one. */
export function backends() {
  const out = ['sqlite'];
  if (process.env.FERROSCOUT_TEST_MONGODB_URI) out.push('mongo');
  if (process.env.FERROSCOUT_TEST_ONLY) return out.filter((b) => b === process.env.FERROSCOUT_TEST_ONLY);
  return out;
}

function mongoUri(db) {
  const base = process.env.FERROSCOUT_TEST_MONGODB_URI;
  const [hosts, opts] = base.split('?');
  return `${hosts.replace(/\/$/, '')}/${db}?${opts || 'directConnection=true'}`;
}

/** `opts.db`: the MongoDB database name (instances of one site share it); default a fresh one. */
export async function startServer(backend, env = {}, opts = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferroscout-clients-'));
  const bin = process.env.FERROSCOUT_BIN || join(root, 'target', 'debug', 'ferroscout');
  const vars = {
    ...process.env, PORT: '0', HOSTNAME: '127.0.0.1', API_SECRET: SECRET, AUTH_FAIL_DELAY: '0',
    FERROSCOUT_DATA_DIR: dataDir, RUST_LOG: 'warn,ferroscout=info', NO_COLOR: '1', ...env,
  };
  delete vars.MONGODB_URI;
  if (backend === 'mongo') vars.MONGODB_URI = mongoUri(opts.db || 'fsc_' + randomBytes(6).toString('hex'));
  const child = spawn(bin, [], { env: vars, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const onData = (b) => {
      log += b.toString();
      const m = log.match(/listening on http:\/\/[^\s:]+:(\d+)/);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${log}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    log: () => log,
    /** Kills the process with `signal` (SIGKILL: no goodbye to its clients) and waits for it. */
    async kill(signal) {
      child.kill(signal);
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.on('exit', r)));
    },
    async stop() {
      if (process.env.FERROSCOUT_TEST_LOG) process.stderr.write(log);
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.on('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
    async post(path, body) {
      const res = await fetch(url + path, {
        method: 'POST', headers: { 'content-type': 'application/json', 'api-secret': SECRET_SHA1 },
        body: JSON.stringify(body),
      });
      if (res.status !== 200) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    },
  };
}

/** Resolves with the next `event` on `socket` that satisfies `pred`, or rejects after `ms`. */
export function next(socket, event, pred = () => true, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { socket.off(event, on); reject(new Error(`no ${event} within ${ms} ms`)); }, ms);
    function on(...args) {
      if (pred(...args)) { clearTimeout(timer); socket.off(event, on); resolve(args.length > 1 ? args : args[0]); }
    }
    socket.on(event, on);
  });
}

/** Emits with an ack and resolves with the ack's payload. */
export function call(socket, event, data, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${event} within ${ms} ms`)), ms);
    socket.emit(event, data, (reply) => { clearTimeout(timer); resolve(reply); });
  });
}

export function reading(ms, sgv) {
  return { type: 'sgv', sgv, date: ms, dateString: new Date(ms).toISOString(), direction: 'Flat', device: 'xDrip-DexcomG6' };
}

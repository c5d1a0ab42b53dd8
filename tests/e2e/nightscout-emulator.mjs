// A stand-in for Nightscout 15's socket.io side (spec §5), in front of a ferroscout server: it
// proxies HTTP to ferroscout and adds socket.io at /socket.io with `authorize` → full `dataUpdate`,
// delta `dataUpdate` after each entries POST made through it, simple low/high alarms on `/alarm`,
// and `ack` → `clear_alarm`. It lets the dashboard's client be tested to the protocol on its own.
import http from 'node:http';
import { Server } from 'socket.io';
import { SECRET_SHA1, freePort } from './harness.mjs';

const runtime = (e) => ({ _id: e._id ?? `e${e.date}`, mgdl: e.sgv, mills: e.date, direction: e.direction, type: 'sgv', device: e.device });

export async function startEmulator(target, { blockWebSocket = false, treatments = [] } = {}) {
  const runtimeTreatments = treatments.map((t, i) => ({ _id: `t${i}`, mills: Date.parse(t.created_at), ...t }));
  const t = new URL(target);
  const forward = (req, body) =>
    new Promise((resolve, reject) => {
      const up = http.request(
        { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } },
        (r) => {
          const chunks = [];
          r.on('data', (c) => chunks.push(c));
          r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks) }));
        },
      );
      up.on('error', reject);
      up.end(body);
    });
  const server = http.createServer();
  const io = new Server(server, { path: '/socket.io', allowEIO3: true, transports: ['polling', 'websocket'] });
  const alarmNs = io.of('/alarm');
  const recent = async () => {
    const r = await fetch(`${target}/api/v1/entries/sgv.json?count=600`, { headers: { 'api-secret': SECRET_SHA1 } });
    return (await r.json()).map(runtime).sort((a, b) => a.mills - b.mills);
  };
  io.on('connection', (socket) => {
    socket.on('authorize', async (msg, cb) => {
      if (msg?.secret && msg.secret !== SECRET_SHA1) {
        socket.disconnect(true);
        return;
      }
      socket.emit('connected');
      socket.join('DataReceivers');
      socket.emit('dataUpdate', { devicestatus: [], sgvs: await recent(), cals: [], profiles: [], mbgs: [], food: [], treatments: runtimeTreatments, dbstats: {} });
      cb?.({ read: true, write: !!msg?.secret, write_treatment: !!msg?.secret });
    });
  });
  alarmNs.on('connection', (socket) => {
    socket.on('subscribe', (_m, cb) => cb?.({ success: true, message: 'Subscribed for alarms', read: true, ack: true }));
    socket.on('ack', (level, group) => {
      alarmNs.emit('clear_alarm', { clear: true, title: 'All Clear', message: `${group} - ${level === 2 ? 'Urgent' : 'Warning'} was ack'd`, group });
    });
  });
  // HTTP: everything but socket.io goes to ferroscout; an entries POST then pushes a delta.
  server.on('request', async (req, res) => {
    if (req.url.startsWith('/socket.io')) return; // engine.io answers
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    try {
      const r = await forward(req, body);
      res.writeHead(r.status, r.headers).end(r.body);
      if (req.method === 'POST' && req.url.startsWith('/api/v1/entries') && r.status === 200) {
        const docs = [].concat(JSON.parse(body.toString())).filter((d) => d.type === 'sgv');
        io.to('DataReceivers').emit('dataUpdate', { delta: true, lastUpdated: Date.now(), sgvs: docs.map(runtime) });
        const last = docs.at(-1);
        if (last && last.sgv < 55) {
          alarmNs.emit('urgent_alarm', { level: 2, title: 'Urgent, LOW', message: `BG Now: ${last.sgv}`, eventName: 'low', group: 'default', key: 'simplealarms_2' });
        }
      }
    } catch {
      res.writeHead(502).end();
    }
  });
  if (blockWebSocket) {
    // A proxy that refuses upgrades: engine.io's own upgrade listener must not see them.
    server.removeAllListeners('upgrade');
    server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n'));
  }
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${port}`,
    /** Cuts every connection at the transport, as a network drop would. */
    drop: () => {
      for (const c of Object.values(io.engine.clients)) c.close();
    },
    stop: () => new Promise((r) => { io.close(); server.closeAllConnections?.(); r(); }),
  };
}

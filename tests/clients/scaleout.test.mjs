// Several instances behind one address (issue #17): two Ferroscout processes on one MongoDB
// database sharing socket.io through Redis (and the MongoDB adapter). A write on one reaches the
// dashboards of the other once each, in order, over websocket and polling, v4 and v2; alarms and
// snoozes agree; a SIGKILLed instance's dashboards catch up on the other; a Redis restart loses
// no push.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io as ioV4, Manager } from 'socket.io-client';
import ioV2 from 'socket.io-client-v2';
import { next, call, reading, SECRET_SHA1 } from './server.mjs';
import { clusterSkip, startRedis, startCluster, startFront, until } from './cluster.mjs';

const skip = clusterSkip();
const ALARMS = { BG_LOW: '55', BG_TARGET_BOTTOM: '80' };

const kinds = {
  'v4 websocket': (url) => ioV4(url, { transports: ['websocket'], forceNew: true, reconnection: false }),
  'v4 polling': (url) => ioV4(url, { transports: ['polling'], forceNew: true, reconnection: false }),
  'v2 (Engine.IO 3)': (url) => ioV2(url, { forceNew: true, reconnection: false }),
};

/** A dashboard: authorizes, records every delta's sgvs in arrival order. */
async function dashboard(connect, url) {
  const s = connect(url);
  const seen = [];
  s.on('dataUpdate', (d) => { if (d.delta) for (const x of d.sgvs || []) seen.push(x.mgdl); });
  const full = next(s, 'dataUpdate');
  await call(s, 'authorize', { client: 'test', secret: SECRET_SHA1, history: 48 });
  return { s, seen, full: await full };
}

let sgvBase = 100;
/** Distinct readings, 5 s apart, ending a minute ago. */
function readings(n) {
  const t = Date.now() - 60_000 - n * 5000;
  // Values no earlier call used: a marker must never share a value with the readings before it.
  const base = sgvBase;
  sgvBase += n + 1;
  return Array.from({ length: n }, (_, i) => reading(t + i * 5000, base + i));
}

for (const adapter of ['redis', 'mongodb']) {
  describe(`two instances, ${adapter} adapter`, { skip }, () => {
    let redis, cluster, a, b;
    before(async () => {
      redis = await startRedis();
      cluster = await startCluster({ redisUrl: redis.url, adapter, env: ALARMS });
      [a, b] = cluster.nodes;
    });
    after(async () => { await cluster?.stop(); await redis?.stop(); });

    for (const [kind, connect] of Object.entries(kinds)) {
      it(`${kind}: a dashboard on A gets each POST made on B once, in order`, async () => {
        const d = await dashboard(connect, a.url);
        try {
          const rs = readings(3);
          for (const r of rs) await b.post('/api/v1/entries', r);
          await until(() => rs.every((r) => d.seen.includes(r.sgv)), 'the deltas from B on A');
          // A marker written on A itself: anything still in flight from B arrives before it.
          const [marker] = readings(1);
          await a.post('/api/v1/entries', marker);
          await until(() => d.seen.includes(marker.sgv), 'the marker delta');
          const got = d.seen.filter((v) => rs.some((r) => r.sgv === v));
          assert.deepEqual(got, rs.map((r) => r.sgv), 'each reading once, in the order written');
        } finally { d.s.close(); }
      });
    }

    it('an alarm raised by a reading on B reaches A', async () => {
      const alarmA = ioV4(a.url + '/alarm', { transports: ['websocket'], forceNew: true, reconnection: false });
      try {
        await call(alarmA, 'subscribe', { secret: SECRET_SHA1 });
        const raised = next(alarmA, 'urgent_alarm', () => true, 15000);
        await b.post('/api/v1/entries', reading(Date.now() - 50_000, 44));
        assert.equal((await raised).title, 'Urgent LOW');
      } finally { alarmA.close(); }
    });

    it('a snooze made on A holds on B', async () => {
      const alarmA = ioV4(a.url + '/alarm', { transports: ['websocket'], forceNew: true, reconnection: false });
      const mb = new Manager(b.url, { transports: ['websocket'], reconnection: false });
      const alarmB = mb.socket('/alarm'), rootB = mb.socket('/');
      try {
        await call(alarmA, 'subscribe', { secret: SECRET_SHA1 });
        await call(alarmB, 'subscribe', { secret: SECRET_SHA1 });
        await call(rootB, 'authorize', { client: 'test', secret: SECRET_SHA1 });
        const raisedB = next(alarmB, 'urgent_alarm', () => true, 15000);
        await b.post('/api/v1/entries', reading(Date.now() - 40_000, 45));
        assert.equal((await raisedB).title, 'Urgent LOW');
        const clearedB = next(alarmB, 'clear_alarm');
        alarmA.emit('ack', 2, 'default', 15 * 60_000);
        assert.match((await clearedB).message, /Urgent was ack'd/, 'the ack on A clears the alarm on B');
        // Another low reading on B must not sound on B. B judges each reading after pushing its
        // delta, so once the delta of a later reading arrived, the judgement of this one is done
        // (and its alarm, if any, was sent before, on the same connection).
        let again = false;
        alarmB.on('urgent_alarm', () => { again = true; });
        await b.post('/api/v1/entries', reading(Date.now() - 30_000, 46));
        const later = next(rootB, 'dataUpdate', (d) => d.delta && d.sgvs?.some((x) => x.mgdl === 110));
        await b.post('/api/v1/entries', reading(Date.now() - 20_000, 110));
        await later;
        assert.equal(again, false, 'the snooze made on A holds on B');
      } finally { alarmA.close(); alarmB.close(); rootB.close(); }
    });

    it('the watcher count counts the dashboards of both instances', async () => {
      const da = await dashboard(kinds['v4 websocket'], a.url);
      const count = next(da.s, 'clients', (n) => n >= 2, 15000);
      const db = await dashboard(kinds['v4 websocket'], b.url);
      try {
        assert.ok((await count) >= 2);
      } finally { da.s.close(); db.s.close(); }
    });
  });
}

describe('two instances: failover and Redis restarts', { skip }, () => {
  let redis, cluster, a, b, front;
  before(async () => {
    redis = await startRedis();
    cluster = await startCluster({ redisUrl: redis.url, env: ALARMS });
    [a, b] = cluster.nodes;
    front = await startFront([a, b]);
  });
  after(async () => { await front?.close(); await cluster?.stop(); await redis?.stop(); });

  it('an ack on A clears the alarm on B through Redis, before and after Redis restarts', async () => {
    const alarmA = ioV4(a.url + '/alarm', { transports: ['websocket'], forceNew: true, reconnection: false });
    const alarmB = ioV4(b.url + '/alarm', { transports: ['polling'], forceNew: true, reconnection: false });
    try {
      await call(alarmA, 'subscribe', { secret: SECRET_SHA1 });
      await call(alarmB, 'subscribe', { secret: SECRET_SHA1 });
      const first = next(alarmB, 'clear_alarm');
      alarmA.emit('ack', 1, 'default', 1000);
      assert.match((await first).message, /Warning was ack'd/);
      await redis.restart();
      // The adapter reconnects and resubscribes by itself; until then a broadcast may be lost
      // (Redis pub/sub keeps nothing), so ack again until one arrives.
      let cleared = 0;
      alarmB.on('clear_alarm', () => { cleared++; });
      await until(() => { alarmA.emit('ack', 1, 'default', 1000); return cleared > 0; }, 'clear_alarm on B after the restart');
    } finally { alarmA.close(); alarmB.close(); }
  });

  it('a Redis restart mid-stream loses no push from B to the dashboards on A', async () => {
    const d = await dashboard(kinds['v4 websocket'], a.url);
    try {
      const rs = readings(6);
      for (const [i, r] of rs.entries()) {
        if (i === 3) await redis.restart();
        await b.post('/api/v1/entries', r);
      }
      await until(() => rs.every((r) => d.seen.includes(r.sgv)), 'every push across the restart');
      assert.deepEqual(d.seen.filter((v) => rs.some((r) => r.sgv === v)), rs.map((r) => r.sgv));
    } finally { d.s.close(); }
  });

  it('instance A killed with SIGKILL: its dashboards reconnect to B and catch up without a gap', async () => {
    // A dashboard as Nightscout's client is: reconnects, and authorizes again on every connect.
    const s = ioV4(front.url, { transports: ['websocket'], forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 500 });
    const seen = new Set();
    let fulls = 0;
    const take = (d) => { if (!d.delta) fulls++; for (const x of d.sgvs || []) seen.add(x.mgdl); };
    s.on('dataUpdate', take);
    s.on('connect', () => s.emit('authorize', { client: 'test', secret: SECRET_SHA1, history: 48 }, () => {}));
    try {
      const before = readings(2);
      for (const r of before) await a.post('/api/v1/entries', r);
      await until(() => before.every((r) => seen.has(r.sgv)), 'the pushes from A');
      await a.kill('SIGKILL');
      seen.clear();
      const fullsBefore = fulls;
      // Written while the dashboard is between instances.
      const during = readings(2);
      for (const r of during) await b.post('/api/v1/entries', r);
      const after = readings(1);
      // The full payload from B after the reconnect: what A had pushed, and what was written meanwhile.
      await until(() => fulls > fullsBefore && [...before, ...during].every((r) => seen.has(r.sgv)),
        'a full payload from B with every reading');
      for (const r of after) await b.post('/api/v1/entries', r);
      await until(() => after.every((r) => seen.has(r.sgv)), 'the next push, from B');
    } finally { s.close(); }
  });
});

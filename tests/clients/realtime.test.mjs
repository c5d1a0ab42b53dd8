// socket.io with Nightscout's protocol, proven with the real clients: socket.io-client v4 over
// websocket only, polling only and the default upgrade; v2 (Engine.IO 3, as older AndroidAPS).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io as ioV4 } from 'socket.io-client';
import ioV2 from 'socket.io-client-v2';
import { startServer, backends, next, call, reading, SECRET_SHA1 } from './server.mjs';

const clients = {
  'v4 websocket only': (url, ns = '') => ioV4(url + ns, { transports: ['websocket'], forceNew: true, reconnection: false }),
  'v4 polling only': (url, ns = '') => ioV4(url + ns, { transports: ['polling'], forceNew: true, reconnection: false }),
  'v4 default (polling then upgrade)': (url, ns = '') => ioV4(url + ns, { forceNew: true, reconnection: false }),
  'v2 (Engine.IO 3)': (url, ns = '') => ioV2(url + ns, { forceNew: true, reconnection: false }),
};

async function authorized(connect, url, secret = SECRET_SHA1) {
  const s = connect(url);
  const full = next(s, 'dataUpdate');
  const ack = await call(s, 'authorize', { client: 'test', secret, history: 48 });
  return { s, ack, full: await full };
}

for (const backend of backends()) {
  describe(`realtime on ${backend}`, () => {
    let srv;
    before(async () => { srv = await startServer(backend); });
    after(async () => { await srv.stop(); });

    for (const [name, connect] of Object.entries(clients)) {
      it(`${name}: authorize gets the full dataUpdate, then a REST POST arrives as a delta`, async () => {
        const t = Date.now() - 60_000;
        await srv.post('/api/v1/entries', [reading(t - 300_000, 101)]);
        const { s, ack, full } = await authorized(connect, srv.url);
        try {
          assert.deepEqual(ack, { read: true, write: true, write_treatment: true });
          assert.ok(Array.isArray(full.sgvs) && full.sgvs.some((x) => x.mgdl === 101), 'full payload has the reading');
          assert.equal(full.delta, undefined, 'the full payload is not a delta');
          for (const k of ['devicestatus', 'treatments', 'mbgs', 'cals', 'profiles', 'food', 'dbstats']) assert.ok(k in full, k);
          const sgv = 100 + Math.floor(Math.random() * 200);
          const delta = next(s, 'dataUpdate', (d) => d.delta && d.sgvs?.some((x) => x.mgdl === sgv));
          await srv.post('/api/v1/entries', reading(t, sgv));
          const d = await delta;
          assert.equal(d.delta, true);
          assert.equal(typeof d.lastUpdated, 'number');
          const item = d.sgvs.find((x) => x.mgdl === sgv);
          assert.equal(item.mills, t);
          assert.equal(item.type, 'sgv');
          assert.equal(item.direction, 'Flat');
          assert.match(String(item._id), /^[0-9a-f]{24}$/);
        } finally { s.close(); }
      });
    }

    it('fullData false: authorize sends no full payload, deltas still come, and /api/v2/dataupdate is the full payload', async () => {
      const t = Date.now() - 30_000;
      await srv.post('/api/v1/entries', [reading(t - 300_000, 141)]);
      const { full: viaSocket, s: nightscoutClient } = await authorized(clients['v4 websocket only'], srv.url);
      nightscoutClient.close();
      const s = clients['v4 websocket only'](srv.url);
      const seen = [];
      s.on('dataUpdate', (d) => seen.push(d));
      try {
        const ack = await call(s, 'authorize', { client: 'web', secret: SECRET_SHA1, fullData: false });
        assert.deepEqual(ack, { read: true, write: true, write_treatment: true });
        const res = await fetch(`${srv.url}/api/v2/dataupdate`, { headers: { 'api-secret': SECRET_SHA1, 'accept-encoding': 'gzip' } });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-encoding'), 'gzip', 'compressed');
        const viaRest = await res.json();
        assert.deepEqual(viaRest.sgvs, viaSocket.sgvs, 'the same readings as the socket\'s full payload');
        for (const k of ['devicestatus', 'treatments', 'mbgs', 'cals', 'profiles', 'food', 'dbstats']) assert.ok(k in viaRest, k);
        const delta = next(s, 'dataUpdate', (d) => d.delta && d.sgvs?.some((x) => x.mgdl === 142));
        await srv.post('/api/v1/entries', reading(t, 142));
        await delta;
        assert.ok(seen.every((d) => d.delta === true), 'only deltas on this socket');
        const anonymous = await fetch(`${srv.url}/api/v2/dataupdate`, { headers: { 'api-secret': 'b723e97aa97846eb92d5264f084b2823f57c4aa2' } });
        assert.equal(anonymous.status, 401, 'a wrong secret is refused');
      } finally { s.close(); }
    });

    it('a socket flooding write events is refused after its burst; one asking for the full payload in a loop is closed', async () => {
      const { s } = await authorized(clients['v4 websocket only'], srv.url);
      try {
        // In rounds of 50 (socket.io keeps at most 128 packets queued per socket).
        const results = [];
        for (let round = 0; round < 40; round++) {
          const acks = await Promise.all(Array.from({ length: 50 }, () => call(s, 'dbRemove', { collection: 'treatments' })));
          results.push(...acks.map((a) => a.result));
        }
        assert.ok(results.filter((r) => r === 'Missing _id').length >= 500, 'the burst is served');
        assert.ok(results.includes('Too many requests'), 'then the budget is spent');
      } finally { s.close(); }
      const t = clients['v4 websocket only'](srv.url);
      await next(t, 'connect');
      const gone = next(t, 'disconnect');
      for (let i = 0; i < 30; i++) t.emit('authorize', { client: 'test', secret: SECRET_SHA1 });
      await gone;
    });

    it('a socket dbUpdate with a field name no store can hold is refused with the reason', async () => {
      const { s } = await authorized(clients['v4 websocket only'], srv.url);
      try {
        const ack = await call(s, 'dbUpdate', { collection: 'treatments', _id: '5f1e2d3c4b5a697887766554', data: { $set: 1 } });
        assert.deepEqual(ack, { result: 'field names must not start with $' });
      } finally { s.close(); }
    });

    it('a wrong secret disconnects without an ack', async () => {
      const s = clients['v4 websocket only'](srv.url);
      await next(s, 'connect');
      const gone = next(s, 'disconnect');
      let acked = false;
      s.emit('authorize', { client: 'test', secret: 'b723e97aa97846eb92d5264f084b2823f57c4aa2' }, () => { acked = true; });
      await gone;
      assert.equal(acked, false);
    });

    it('anonymous readers get read but not write', async () => {
      const s = clients['v4 websocket only'](srv.url);
      try {
        const ack = await call(s, 'authorize', { client: 'web' });
        assert.deepEqual(ack, { read: true, write: false, write_treatment: false });
        const r = await call(s, 'dbAdd', { collection: 'treatments', data: { eventType: 'Note', notes: 'x' } });
        assert.deepEqual(r, { result: 'Not permitted' });
      } finally { s.close(); }
    });

    it('dbAdd of an AndroidAPS treatment and devicestatus is acked after it is stored, and deduplicated', async () => {
      const { s } = await authorized(clients['v2 (Engine.IO 3)'], srv.url);
      const watcher = (await authorized(clients['v4 polling only'], srv.url)).s;
      try {
        const created = new Date(Date.now() - 120_000).toISOString();
        const bolus = { eventType: 'Correction Bolus', insulin: 1.5, created_at: created, enteredBy: 'openaps://AndroidAPS',
          NSCLIENT_ID: 'aaps-' + Math.random(), isSMB: false, pumpId: 4711, pumpType: 'ACCU_CHEK_INSIGHT' };
        const pushed = next(watcher, 'dataUpdate', (d) => d.delta && d.treatments?.some((x) => x.NSCLIENT_ID === bolus.NSCLIENT_ID));
        const ack = await call(s, 'dbAdd', { collection: 'treatments', data: bolus });
        assert.equal(ack.length, 1);
        assert.match(ack[0]._id, /^[0-9a-f]{24}$/);
        assert.equal(ack[0].insulin, 1.5);
        const d = await pushed;
        const t = d.treatments.find((x) => x.NSCLIENT_ID === bolus.NSCLIENT_ID);
        assert.equal(t.mills, Date.parse(created));
        const again = await call(s, 'dbAdd', { collection: 'treatments', data: bolus });
        assert.equal(again[0]._id, ack[0]._id, 'the same NSCLIENT_ID is not stored twice');

        const ds = { device: 'openaps://samsung SM-G970F', created_at: new Date().toISOString(), NSCLIENT_ID: 'ds-' + Math.random(),
          pump: { battery: { percent: 75 }, reservoir: 120.5, status: { status: 'normal' } },
          openaps: { iob: { iob: 1.2 }, suggested: { bg: 120, predBGs: { IOB: [120, 118, 115] } } }, uploaderBattery: 80 };
        const dsAck = await call(s, 'dbAdd', { collection: 'devicestatus', data: ds });
        assert.match(dsAck[0]._id, /^[0-9a-f]{24}$/);
        const dsAgain = await call(s, 'dbAdd', { collection: 'devicestatus', data: ds });
        assert.equal(dsAgain[0]._id, dsAck[0]._id);
        const wrong = await call(s, 'dbAdd', { collection: 'users', data: {} });
        assert.deepEqual(wrong, { result: 'Wrong collection' });
      } finally { s.close(); watcher.close(); }
    });

    it('dbAdd into entries is normalised like a REST POST (date, sysTime, utcOffset) and deduplicated', async () => {
      const { s } = await authorized(clients['v4 websocket only'], srv.url);
      try {
        const ms = Date.now() - 90_000;
        const sgv = { type: 'sgv', sgv: 133, direction: 'Flat', device: 'socket', dateString: new Date(ms).toISOString() };
        const ack = await call(s, 'dbAdd', { collection: 'entries', data: sgv });
        assert.equal(ack.length, 1);
        assert.equal(ack[0].date, ms);
        assert.equal(ack[0].sysTime, new Date(ms).toISOString());
        assert.equal(ack[0].utcOffset, 0);
        await call(s, 'dbAdd', { collection: 'entries', data: sgv });
        const res = await fetch(`${srv.url}/api/v1/entries.json?find[sgv]=133`);
        assert.equal((await res.json()).length, 1, 'stored once');
      } finally { s.close(); }
    });

    it('a websocket message over the 10 MB payload limit closes that socket', async () => {
      const { s } = await authorized(clients['v4 websocket only'], srv.url);
      try {
        const closed = next(s, 'disconnect', () => true, 20_000);
        s.emit('dbAdd', { collection: 'treatments', data: { eventType: 'Note', notes: 'x'.repeat(11_000_000) } });
        await closed;
      } finally { s.close(); }
      const res = await fetch(`${srv.url}/api/v1/treatments.json?find[eventType]=Note`);
      assert.deepEqual(await res.json(), [], 'nothing was stored');
    });

    it('dbUpdate and dbRemove change a treatment and every dashboard hears it', async () => {
      const { s } = await authorized(clients['v4 websocket only'], srv.url);
      try {
        const [t] = await call(s, 'dbAdd', { collection: 'treatments', data: { eventType: 'Note', notes: 'before', created_at: new Date().toISOString() } });
        // The add and the update may reach the broadcaster together: then the treatment comes once, updated.
        const updated = next(s, 'dataUpdate', (d) => d.treatments?.some((x) => x._id === t._id && x.notes === 'after'));
        assert.deepEqual(await call(s, 'dbUpdate', { collection: 'treatments', _id: t._id, data: { notes: 'after' } }), { result: 'success' });
        assert.equal((await updated).treatments.find((x) => x._id === t._id).notes, 'after');
        const unset = next(s, 'dataUpdate', (d) => d.treatments?.some((x) => x._id === t._id && x.action === 'update' && !('notes' in x)));
        assert.deepEqual(await call(s, 'dbUpdateUnset', { collection: 'treatments', _id: t._id, data: { notes: 1 } }), { result: 'success' });
        await unset;
        const removed = next(s, 'dataUpdate', (d) => d.treatments?.some((x) => x._id === t._id && x.action === 'remove'));
        assert.deepEqual(await call(s, 'dbRemove', { collection: 'treatments', _id: t._id }), { result: 'success' });
        await removed;
        assert.deepEqual(await call(s, 'dbRemove', { collection: 'treatments' }), { result: 'Missing _id' });
      } finally { s.close(); }
    });

    it('/storage subscribers get create events for REST writes', async () => {
      const s = clients['v4 websocket only'](srv.url, '/storage');
      try {
        const ack = await call(s, 'subscribe', { accessToken: SECRET_SHA1, collections: ['entries', 'treatments'] });
        assert.deepEqual(ack, { success: true, collections: ['entries', 'treatments'] });
        const sgv = 300 + Math.floor(Math.random() * 50);
        const created = next(s, 'create', (e) => e.colName === 'entries' && e.doc.sgv === sgv);
        await srv.post('/api/v1/entries', reading(Date.now() - 1000, sgv));
        const e = await created;
        assert.equal(e.doc.identifier, e.doc._id);
        const bad = clients['v4 websocket only'](srv.url, '/storage');
        assert.deepEqual(await call(bad, 'subscribe', { accessToken: 'nope' }), { success: false, message: 'Missing or bad accessToken' });
        bad.close();
      } finally { s.close(); }
    });

    it('a client that reconnects after a gap re-authorizes and gets what it missed', async () => {
      const first = await authorized(clients['v4 default (polling then upgrade)'], srv.url);
      first.s.close();
      const sgv = 60 + Math.floor(Math.random() * 30);
      const t = Date.now() - 2000;
      await srv.post('/api/v1/entries', reading(t, sgv));
      const again = await authorized(clients['v4 default (polling then upgrade)'], srv.url);
      try {
        assert.ok(again.full.sgvs.some((x) => x.mgdl === sgv && x.mills === t));
      } finally { again.s.close(); }
    });

    it('the watcher count is broadcast as clients', async () => {
      const a = clients['v4 websocket only'](srv.url);
      try {
        const n = await next(a, 'clients', (n) => typeof n === 'number' && n >= 1);
        assert.ok(n >= 1);
      } finally { a.close(); }
    });
  });
}

// Server-side alarms: a low reading raises urgent_alarm on /alarm and on / (older followers);
// an ack on /alarm snoozes it for every dashboard with clear_alarm.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { backends, startServer, next, call, reading, SECRET_SHA1 } from './server.mjs';

describe('alarms', () => {
  let srv;
  before(async () => { srv = await startServer('sqlite', { BG_LOW: '55', BG_TARGET_BOTTOM: '80' }); });
  after(async () => { await srv.stop(); });

  it('a low reading raises the urgent alarm on /alarm and /, and an ack clears it everywhere', async () => {
    const alarm = io(srv.url + '/alarm', { transports: ['websocket'], forceNew: true, reconnection: false });
    const other = io(srv.url + '/alarm', { transports: ['polling'], forceNew: true, reconnection: false });
    const root = io(srv.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    try {
      const sub = await call(alarm, 'subscribe', { secret: SECRET_SHA1 });
      assert.deepEqual(sub, { success: true, message: 'Subscribed for alarms', read: true, ack: true });
      await call(other, 'subscribe', {});
      await call(root, 'authorize', { client: 'aaps', secret: SECRET_SHA1 });
      const onAlarm = next(alarm, 'urgent_alarm');
      const onRoot = next(root, 'urgent_alarm');
      await srv.post('/api/v1/entries', reading(Date.now() - 30_000, 48));
      const a = await onAlarm;
      assert.equal(a.level, 2);
      assert.equal(a.title, 'Urgent LOW');
      assert.equal(a.eventName, 'low');
      assert.equal(a.group, 'default');
      assert.match(a.message, /48/);
      assert.equal((await onRoot).level, 2);
      const cleared = next(other, 'clear_alarm');
      alarm.emit('ack', 2, 'default', 15 * 60_000);
      const c = await cleared;
      assert.equal(c.clear, true);
      assert.match(c.message, /Urgent was ack'd/);
      // Snoozed: a second low reading does not sound again.
      let again = false;
      alarm.on('urgent_alarm', () => { again = true; });
      const pushed = next(root, 'dataUpdate', (d) => d.delta);
      await srv.post('/api/v1/entries', reading(Date.now() - 10_000, 47));
      await pushed;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(again, false);
      // Back in range: the alarm ends with an All Clear.
      const allClear = next(other, 'clear_alarm');
      await srv.post('/api/v1/entries', reading(Date.now() - 5_000, 110));
      assert.equal((await allClear).title, 'All Clear');
    } finally { alarm.close(); other.close(); root.close(); }
  });
});

for (const backend of backends()) {
  describe(`alarms with AUTH_DEFAULT_ROLES=denied (${backend})`, () => {
    let srv;
    before(async () => {
      srv = await startServer(backend, { AUTH_DEFAULT_ROLES: 'denied', BG_LOW: '55', BG_TARGET_BOTTOM: '80' });
    });
    after(async () => { await srv.stop(); });

    it('reach only sockets allowed to read, and a late unauthorized subscriber gets no current alarm', async () => {
      const opts = { transports: ['websocket'], forceNew: true, reconnection: false };
      const allowed = io(srv.url + '/alarm', opts);
      const stranger = io(srv.url + '/alarm', opts);
      const rootStranger = io(srv.url, opts);
      let leaked = [];
      for (const s of [stranger, rootStranger]) {
        for (const ev of ['alarm', 'urgent_alarm']) s.on(ev, (a) => leaked.push(a));
      }
      try {
        await call(allowed, 'subscribe', { secret: SECRET_SHA1 });
        const sub = await call(stranger, 'subscribe', {});
        assert.equal(sub.read, false);
        await new Promise((r) => (rootStranger.connected ? r() : rootStranger.on('connect', r)));
        const onAlarm = next(allowed, 'urgent_alarm');
        await srv.post('/api/v1/entries', reading(Date.now() - 30_000, 48));
        assert.match((await onAlarm).message, /48/);
        // A round trip on each stranger's connection: anything sent before it has arrived.
        await call(stranger, 'subscribe', {});
        const late = io(srv.url + '/alarm', opts);
        for (const ev of ['alarm', 'urgent_alarm']) late.on(ev, (a) => leaked.push(a));
        await call(late, 'subscribe', {});
        await call(late, 'subscribe', {});
        late.close();
        assert.deepEqual(leaked, []);
      } finally { allowed.close(); stranger.close(); rootStranger.close(); }
    });
  });
}

describe('alarms in the server language', () => {
  let srv;
  before(async () => { srv = await startServer('sqlite', { LANGUAGE: 'de', BG_LOW: '55', BG_TARGET_BOTTOM: '80' }); });
  after(async () => { await srv.stop(); });

  it('with LANGUAGE=de an AndroidAPS-style /alarm client gets the urgent low in German', async () => {
    const alarm = io(srv.url + '/alarm', { transports: ['websocket'], forceNew: true, reconnection: false });
    try {
      await call(alarm, 'subscribe', { secret: SECRET_SHA1 });
      const onAlarm = next(alarm, 'urgent_alarm');
      await srv.post('/api/v1/entries', reading(Date.now() - 30_000, 48));
      const a = await onAlarm;
      assert.equal(a.level, 2);
      assert.equal(a.title, 'Dringend NIEDRIG');
      assert.equal(a.message, 'BZ jetzt: 48 mg/dl');
      assert.equal(a.eventName, 'low');
    } finally { alarm.close(); }
  });
});

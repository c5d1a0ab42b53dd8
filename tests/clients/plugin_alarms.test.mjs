// The plugins' notifications on /alarm and / (AndroidAPS's v1 client listens on /): a loop that
// stopped looping (LOOP_ENABLE_ALERTS), an announcement, and the AR2 `predict` alarm that
// ALARM_TYPES defaults to.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { startServer, backends, next, call, reading, SECRET_SHA1 } from './server.mjs';

const MIN = 60_000;
const iso = (ms) => new Date(ms).toISOString();

for (const backend of backends()) {
  describe(`plugin alarms (${backend})`, () => {
    let srv;
    before(async () => {
      srv = await startServer(backend, { ENABLE: 'careportal loop pump', LOOP_ENABLE_ALERTS: 'true' });
    });
    after(async () => { await srv.stop(); });

    async function sockets() {
      const alarm = io(srv.url + '/alarm', { transports: ['websocket'], forceNew: true, reconnection: false });
      const root = io(srv.url, { transports: ['websocket'], forceNew: true, reconnection: false });
      await call(alarm, 'subscribe', { secret: SECRET_SHA1 });
      await call(root, 'authorize', { client: 'aaps', secret: SECRET_SHA1 });
      return { alarm, root };
    }

    it('a loop that last looped 45 minutes ago raises the Loop group warning, a fresh loop clears it', async () => {
      const { alarm, root } = await sockets();
      try {
        const onAlarm = next(alarm, 'alarm', (a) => a.group === 'Loop');
        const onRoot = next(root, 'alarm', (a) => a.group === 'Loop');
        const t = Date.now() - 45 * MIN;
        await srv.post('/api/v1/devicestatus', { device: 'loop://iPhone', created_at: iso(t),
          loop: { name: 'Loop', timestamp: iso(t), iob: { iob: 0.5, timestamp: iso(t) } } });
        const a = await onAlarm;
        assert.equal(a.level, 1);
        assert.equal(a.title, "Loop isn't looping");
        assert.equal(a.message, 'Last Loop: 45m ago');
        assert.deepEqual(a.plugin, { name: 'loop' });
        assert.equal((await onRoot).group, 'Loop');
        const cleared = next(alarm, 'clear_alarm', (c) => c.group === 'Loop');
        const now = Date.now();
        await srv.post('/api/v1/devicestatus', { device: 'loop://iPhone', created_at: iso(now),
          loop: { name: 'Loop', timestamp: iso(now) } });
        assert.equal((await cleared).title, 'All Clear');
      } finally { alarm.close(); root.close(); }
    });

    it('an announcement reaches /alarm and / once, as an announcement', async () => {
      const { alarm, root } = await sockets();
      try {
        const onAlarm = next(alarm, 'announcement');
        const onRoot = next(root, 'announcement');
        await srv.post('/api/v1/treatments', { eventType: 'Announcement', notes: 'At the pool until 5',
          enteredBy: 'mum', created_at: iso(Date.now()) });
        const a = await onAlarm;
        assert.equal(a.level, 0);
        assert.equal(a.title, 'Announcement');
        assert.equal(a.message, 'At the pool until 5');
        assert.equal(a.group, 'Announcement');
        assert.equal(a.isAnnouncement, true);
        assert.deepEqual(a.plugin, { name: 'treatmentnotify' });
        assert.equal(typeof a.key, 'string');
        assert.equal((await onRoot).key, a.key);
      } finally { alarm.close(); root.close(); }
    });

    it('the status of the first dataUpdate has versionNum, activeProfile and the plugin settings', async () => {
      const root = io(srv.url, { transports: ['websocket'], forceNew: true, reconnection: false });
      try {
        await srv.post('/api/v1/treatments', { eventType: 'Profile Switch', profile: 'Sport', duration: 0,
          enteredBy: 'AndroidAPS', created_at: iso(Date.now() - MIN) });
        const full = next(root, 'dataUpdate', (d) => !d.delta);
        await call(root, 'authorize', { client: 'aaps', secret: SECRET_SHA1, status: true });
        const s = (await full).status;
        assert.equal(s.versionNum, 150007);
        assert.equal(s.activeProfile, 'Sport');
        assert.equal(s.extendedSettings.loop.enableAlerts, true);
        assert.equal(s.extendedSettings.pump.warnRes, 10);
        assert.deepEqual(s.extendedSettings.devicestatus, { advanced: true, days: 1 });
      } finally { root.close(); }
    });

    it('falling fast raises the predicted urgent low (ALARM_TYPES predict)', async () => {
      const { alarm, root } = await sockets();
      try {
        const onAlarm = next(alarm, 'urgent_alarm', (a) => a.group === 'default');
        await srv.post('/api/v1/entries', [reading(Date.now() - 5 * MIN, 120), reading(Date.now(), 85)]);
        const a = await onAlarm;
        assert.equal(a.title, 'Urgent, LOW predicted');
        assert.equal(a.eventName, 'low');
        assert.deepEqual(a.plugin, { name: 'ar2' });
        assert.match(a.message, /^BG Now: 85 mg\/dl\nBG 15m: \d+ mg\/dl$/);
      } finally { alarm.close(); root.close(); }
    });
  });
}

// Access tokens on every socket carrier, with the real clients (socket.io-client v4 and v2):
// `/` authorize with a token as `secret`, a JWT as `token`; `/storage` and `/alarm` subscribe.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { io as ioV4 } from 'socket.io-client';
import ioV2 from 'socket.io-client-v2';
import { startServer, backends, next, call, SECRET_SHA1 } from './server.mjs';

const sha1 = (s) => createHash('sha1').update(s).digest('hex');
const clients = {
  v4: (url, ns = '') => ioV4(url + ns, { transports: ['websocket'], forceNew: true, reconnection: false }),
  v2: (url, ns = '') => ioV2(url + ns, { forceNew: true, reconnection: false }),
};

/** Creates a subject with the secret and derives its token as LoopFollow does. */
async function subject(url, name, roles) {
  const res = await fetch(`${url}/api/v2/authorization/subjects`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'api-secret': SECRET_SHA1 },
    body: JSON.stringify({ name, roles }),
  });
  assert.equal(res.status, 200);
  const { _id } = await res.json();
  const abbrev = name.toLowerCase().replace(/\W/g, '').substring(0, 10);
  return `${abbrev}-${sha1(SECRET_SHA1 + _id).substring(0, 16)}`;
}

for (const backend of backends()) {
  describe(`access tokens over socket.io on ${backend}`, () => {
    let srv;
    let reader;
    let carer;
    before(async () => {
      srv = await startServer(backend, { AUTH_DEFAULT_ROLES: 'denied' });
      reader = await subject(srv.url, 'Follower', ['readable']);
      carer = await subject(srv.url, 'Nightguard', ['readable', 'careportal']);
    });
    after(async () => { await srv.stop(); });

    for (const [name, connect] of Object.entries(clients)) {
      it(`${name}: a token in secret reads, and status carries versionNum`, async () => {
        const s = connect(srv.url);
        try {
          const full = next(s, 'dataUpdate');
          const ack = await call(s, 'authorize', { client: 'test', secret: reader, status: true });
          assert.deepEqual(ack, { read: true, write: false, write_treatment: false });
          const d = await full;
          assert.equal(d.status.versionNum, 150007);
          assert.equal(typeof d.status.extendedSettings, 'object');
        } finally { s.close(); }
      });

      it(`${name}: the JWT from status.json?token= works as token, and so does the token's SHA-1`, async () => {
        const st = await (await fetch(`${srv.url}/api/v1/status.json?token=${carer}`)).json();
        assert.equal(st.authorized.sub, 'Nightguard');
        for (const creds of [{ token: st.authorized.token }, { secret: sha1(carer) }, { token: carer }]) {
          const s = connect(srv.url);
          try {
            const ack = await call(s, 'authorize', { client: 'test', ...creds });
            assert.deepEqual(ack, { read: true, write: false, write_treatment: false }, JSON.stringify(Object.keys(creds)));
          } finally { s.close(); }
        }
      });

      it(`${name}: a bad JWT disconnects without an ack; no credentials on a denied site read nothing`, async () => {
        const s = connect(srv.url);
        await next(s, 'connect');
        const gone = next(s, 'disconnect');
        let acked = false;
        s.emit('authorize', { client: 'test', token: 'a.b.c' }, () => { acked = true; });
        await gone;
        assert.equal(acked, false);
        const anon = connect(srv.url);
        try {
          assert.deepEqual(await call(anon, 'authorize', { client: 'test' }), { read: false, write: false, write_treatment: false });
        } finally { anon.close(); }
      });

      it(`${name}: /storage and /alarm take the token as accessToken`, async () => {
        const st = connect(srv.url, '/storage');
        const al = connect(srv.url, '/alarm');
        try {
          const ack = await call(st, 'subscribe', {
            accessToken: reader, collections: ['devicestatus', 'entries', 'profile', 'treatments', 'foods', 'settings'],
          });
          assert.deepEqual(ack, { success: true, collections: ['devicestatus', 'entries', 'profile', 'treatments'] });
          assert.deepEqual(await call(al, 'subscribe', { accessToken: sha1(reader) }), { success: true, message: 'Subscribed for alarms' });
          const bad = connect(srv.url, '/alarm');
          assert.deepEqual(await call(bad, 'subscribe', { accessToken: 'nobody-0123456789abcdef' }),
            { success: false, message: 'Missing or bad accessToken' });
          bad.close();
        } finally { st.close(); al.close(); }
      });
    }
  });
}

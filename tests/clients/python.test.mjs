// python-socketio (Engine.IO 4) over websocket and over polling, run from the test venv.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, backends, SECRET_SHA1 } from './server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const python = process.env.FERROSCOUT_TEST_PYTHON || join(here, '..', '..', '.venv-test', 'bin', 'python');

for (const backend of backends()) {
  describe(`python-socketio on ${backend}`, () => {
    let srv;
    before(async () => { srv = await startServer(backend); });
    after(async () => { await srv.stop(); });
    for (const transport of ['websocket', 'polling']) {
      it(`${transport}: authorize, full dataUpdate, then the delta of a REST POST`, () => {
        const r = spawnSync(python, [join(here, 'python_client.py'), srv.url, SECRET_SHA1, transport], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(r.status, 0, `python client failed:\n${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, /ok/);
      });
    }
  });
}

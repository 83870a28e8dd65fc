// watchExit(): exit.json seen through inotify, and a shim that dies without
// writing it (found by the slow liveness probe).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { held, LOST_EXIT, watchExit } from './exit-watcher.js';

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-exitw-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A process whose argv[0] is wharf-shim, standing in for a shim. */
function fakeShim(dir: string): number {
  const child = spawn('/bin/sleep', ['1000'], { argv0: 'wharf-shim', stdio: 'ignore' });
  after(() => child.kill('SIGKILL'));
  writeFileSync(join(dir, 'shim.pid'), `${child.pid}\n`);
  return child.pid!;
}

describe('exit watcher', () => {
  it('resolves with exit.json once the shim writes it', async () => {
    const dir = stateDir();
    fakeShim(dir);
    using w = watchExit(dir, 'x');
    writeFileSync(join(dir, 'exit.json'), JSON.stringify({ exitCode: 3, signal: null, oomKilled: false }));
    assert.equal((await w.exited).exitCode, 3);
  });

  it('reports a lost exit when the shim dies without exit.json', async () => {
    const dir = stateDir();
    const pid = fakeShim(dir);
    using w = watchExit(dir, 'x');
    let settled = false;
    void w.exited.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(settled, false, 'a live shim is not an exit');
    process.kill(pid, 'SIGKILL');
    assert.deepEqual(await held(w.exited), LOST_EXIT);
  });
});

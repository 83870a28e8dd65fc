// The prefetched container list (Backend.prefetch) is handed out only while
// nothing has changed: once an engine event has been delivered, the next
// `containers/list` asks the engine again. Snapshots carry the event
// generation they were taken at, and a reconnected event stream asks the
// renderer to resync.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { skipReason, startTestDaemon, uniqueName, type TestDaemon } from '../../../engine/api/testing.js';
import type { ContainerSummary, EngineEvent } from '../../shared/types.js';
import { createBackend, type Backend } from './index.js';

const reason = skipReason();
if (reason) console.log(`# skipping backend snapshot test: ${reason}`);

let daemon: TestDaemon | undefined;
let backend: Backend | undefined;
before(async () => {
  if (reason) return;
  daemon = await startTestDaemon('snapshot');
  backend = createBackend({
    endpoints: [{ id: 'e', name: 'e', kind: 'embedded', address: daemon.socket }],
  });
});
after(async () => {
  backend?.close();
  await daemon?.cleanup();
});

const list = async (): Promise<ContainerSummary[]> =>
  (await backend!.invoke('containers/list', [])) as ContainerSummary[];

test('a prefetched list is reused until an engine event arrives', { skip: reason }, async () => {
  const d = daemon!;
  // The event feed's (re)connection also counts as a change (events may
  // have been missed before it): wait until it is connected and a list sticks.
  let first: ContainerSummary[] | undefined;
  for (let i = 0; i < 50 && !first; i++) {
    backend!.prefetch();
    const a = await list();
    if ((await list()) === a) first = a;
    else await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(first, 'a prefetched list is handed out again while nothing happened');

  const name = uniqueName('snap');
  const seen = new Promise<void>((resolve) => {
    const off = backend!.on('engine/events', (evs: EngineEvent[]) => {
      if (evs.some((e) => e.action === 'create' && e.attributes['name'] === name)) {
        off();
        resolve();
      }
    });
  });
  await createThroughApi(d, name);
  await seen;
  const next = await list();
  assert.ok(
    next.some((c) => c.name === name),
    'the list after the event has the new container',
  );
});

test(
  'a snapshot carries the generation it was taken at; events move the generation on',
  { skip: reason },
  async () => {
    const d = daemon!;
    const b = backend!;
    // Settled: two snapshots in a row come from one engine call at one generation.
    let snap = await b.snapshot();
    for (let i = 0; i < 50 && (snap.gen !== b.generation() || (await b.snapshot()).gen !== snap.gen); i++) {
      await new Promise((r) => setTimeout(r, 100));
      snap = await b.snapshot();
    }
    assert.equal(snap.gen, b.generation(), 'nothing happened since the snapshot');
    const name = uniqueName('gen');
    await createThroughApi(d, name);
    for (let i = 0; i < 100 && b.generation() === snap.gen; i++)
      await new Promise((res) => setTimeout(res, 50));
    assert.ok(b.generation() > snap.gen, 'the create event moved the generation on');
    const after = await b.snapshot();
    assert.ok(after.gen > snap.gen);
    assert.ok(after.containers.some((c) => c.name === name));
  },
);

test(
  'the engine restarting: its event stream reconnects and the backend asks for a resync',
  { skip: reason },
  async () => {
    const d = daemon!;
    const resynced = new Promise<{ reason: string }>((resolve) => {
      const off = backend!.on('engine/resync', (p) => {
        off();
        resolve(p);
      });
    });
    await d.stop();
    await d.start();
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('no engine/resync within 20 s')), 20_000).unref(),
    );
    const p = await Promise.race([resynced, timeout]);
    assert.match(p.reason, /reconnected/);
  },
);

/** POST /containers/create of a busybox `true` named `name`, straight to the engine. */
async function createThroughApi(d: TestDaemon, name: string): Promise<void> {
  const r = await d.http(
    'POST',
    `/containers/create?name=${name}`,
    JSON.stringify({ Image: 'busybox:latest', Cmd: ['true'] }),
    { 'content-type': 'application/json' },
  );
  assert.equal(r.status, 201, r.body);
}

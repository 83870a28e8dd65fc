// The shim outlives the engine: SIGKILL the Node process that started a
// container, and a new engine instance re-adopts it, attaches, stops it and
// reads its exit code. Also: open() cleans half-created leftovers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { alive, leaks, useFixture, skipReason, sleep, SHIM, uniqueId, type Fixture } from './test-helpers.js';

const skip = skipReason();
if (skip) console.log(`# skipping re-adoption tests: ${skip}`);

const CHILD = `
import { ContainerRuntime } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, 'container-runtime.ts')).href)};
const [dataRoot, execRoot, runtimePath, shimPath, lower, id] = process.argv.slice(2);
const rt = await ContainerRuntime.open({ paths: { dataRoot, execRoot }, runtimePath, shimPath });
await rt.create({
  id,
  config: { Cmd: ['sh', '-c', 'trap "echo bye; exit 4" TERM; while :; do echo tick; sleep 0.1; done'] },
  rootfs: { layers: [lower] },
});
await rt.start(id);
process.stdout.write(JSON.stringify({ id, pid: rt.inspect(id).state.pid }) + '\\n');
setInterval(() => {}, 1 << 30); // stay alive until killed
`;

describe('re-adoption after the engine dies', { skip }, () => {
  let fx: Fixture;
  useFixture('adopt', (f) => (fx = f));

  test('kill -9 the engine process: the container runs on and a new engine re-adopts it', async () => {
    // The fixture's engine must not watch the same roots while the child works.
    await fx.rt[Symbol.asyncDispose]();
    const script = join(fx.dir, 'child.mjs');
    writeFileSync(script, CHILD);
    const id = uniqueId('adopt');
    fx.ids.add(id);
    const { child, line } = await startChild(fx, script, id);
    const { pid } = JSON.parse(line) as { id: string; pid: number };
    fx.pids.add(pid);
    const shimPid = Number(readFileSync(join(fx.execRoot, 'c', id, 'shim.pid'), 'utf8'));
    fx.pids.add(shimPid);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await sleep(300);
    assert.ok(alive(pid), 'the container died with the engine');
    assert.ok(alive(shimPid), 'the shim died with the engine');

    fx.rt = await fx.open();
    const rec = fx.rt.inspect(id);
    assert.equal(rec.state.status, 'running');
    assert.equal(rec.state.pid, pid);

    const client = await fx.rt.attach(id);
    const seen = new Promise<string>((resolve) => {
      let text = '';
      client.stdout.on('data', (c: Buffer) => {
        text += c.toString();
        if (text.includes('tick')) resolve(text);
      });
    });
    assert.match(await seen, /tick/);
    let bye = '';
    client.stdout.on('data', (c: Buffer) => (bye += c.toString()));
    const status = await fx.rt.stop(id, { timeout: 20 });
    assert.equal(status?.exitCode, 4);
    assert.equal(fx.rt.inspect(id).state.exitCode, 4);
    await client.closed();
    assert.match(bye, /bye/);
    await fx.rt.remove(id);
    assert.ok(!alive(shimPid));
  });

  test('a container that exited while no engine ran gets its exit status', async () => {
    await fx.rt[Symbol.asyncDispose]();
    const script = join(fx.dir, 'child.mjs');
    writeFileSync(script, CHILD.replace("'sh', '-c', 'trap", "'sh', '-c', 'sleep 0.5; exit 9; trap"));
    const id = uniqueId('adopt');
    fx.ids.add(id);
    const { child } = await startChild(fx, script, id);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    for (let i = 0; i < 100 && !existsSync(join(fx.execRoot, 'c', id, 'exit.json')); i++) await sleep(50);
    fx.rt = await fx.open();
    const rec = fx.rt.inspect(id);
    assert.equal(rec.state.status, 'exited');
    assert.equal(rec.state.exitCode, 9);
    assert.ok(!existsSync(join(fx.execRoot, 'c', id)), 'the exec-root dir was not cleaned');
    await fx.rt.remove(id);
  });

  test('open() removes half-created leftovers', async () => {
    await fx.rt[Symbol.asyncDispose]();
    const id = uniqueId('half');
    fx.ids.add(id);
    // A crash after the dirs were made but before the record was written.
    mkdirSync(join(fx.dataRoot, 'containers', id), { recursive: true });
    mkdirSync(join(fx.execRoot, 'c', id, 'bundle'), { recursive: true });
    const orphan = uniqueId('orphan');
    mkdirSync(join(fx.execRoot, 'c', orphan), { recursive: true });
    fx.rt = await fx.open();
    assert.equal(fx.rt.has(id), false);
    assert.ok(!existsSync(join(fx.dataRoot, 'containers', id)));
    assert.ok(!existsSync(join(fx.execRoot, 'c', id)));
    assert.ok(!existsSync(join(fx.execRoot, 'c', orphan)));
  });

  test('leaves no mounts, cgroups, processes or namespaces behind', async () => {
    for (const rec of fx.rt.list()) await fx.rt.remove(rec.id, { force: true });
    assert.deepEqual(await leaks(fx), []);
  });
});

/** Runs the child engine script; resolves with its first stdout line. */
async function startChild(
  fx: Fixture,
  script: string,
  id: string,
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, fx.dataRoot, fx.execRoot, fx.runtimePath, SHIM, fx.lower, id],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (c: Buffer) => {
      buf += c.toString();
      if (buf.includes('\n')) resolve(buf.split('\n')[0] ?? '');
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before reporting`)));
  });
  return { child, line };
}

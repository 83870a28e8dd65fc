// `docker run -it`, `docker exec -it` and `docker attach` through a real pty
// (tmux): type, read the output, resize, exit with a code the CLI returns,
// detach with ctrl-p ctrl-q (issue 4, "What must be shown" 4).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { leaks, skipReason, startTestDaemon, uniqueName, type TestDaemon } from './testing.js';

const skip = skipReason() ?? (spawnSync('tmux', ['-V']).status === 0 ? undefined : 'needs tmux');
if (skip) console.log(`# skipping TTY tests: ${skip}`);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('interactive docker CLI through tmux', { skip }, () => {
  let d: TestDaemon;
  const sock = uniqueName('tmux');
  const tmux = (...a: string[]): string => execFileSync('tmux', ['-L', sock, ...a], { encoding: 'utf8' });
  const screen = (): string => tmux('capture-pane', '-p', '-t', 'w');
  const type = (text: string): void => {
    tmux('send-keys', '-t', 'w', '-l', text);
    tmux('send-keys', '-t', 'w', 'Enter');
  };
  /** Polls the pane until `re` matches (a terminal is asynchronous). */
  const until = async (re: RegExp, ms = 10_000): Promise<string> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = screen();
      if (re.test(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; screen:\n${s}`);
      await sleep(100);
    }
  };

  before(async () => {
    d = await startTestDaemon('tty');
    tmux('new-session', '-d', '-s', 'w', '-x', '100', '-y', '30', 'bash --norc --noprofile');
    type(`export DOCKER_HOST=unix://${d.socket} PS1='$ '; clear`);
    await sleep(300);
  });
  after(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await d.cleanup();
    assert.deepEqual(leaks(d.dir, []), []);
  });

  test('docker run -it: type, read, resize, exit code', async () => {
    const name = uniqueName('it');
    type(`docker run -it --rm --name ${name} busybox sh; echo "rc=$?"`);
    await until(/\/ #\s*$/m);
    type('echo hello-$((6*7)); stty size');
    await until(/hello-42\s*\n30 100/);
    tmux('resize-window', '-t', 'w', '-x', '120', '-y', '40');
    await sleep(300);
    type('stty size');
    await until(/40 120/);
    type('exit 3');
    await until(/rc=3/);
    assert.equal(d.dockerOk(['ps', '-aq', '--filter', `name=${name}`]).trim(), '', '--rm removed it');
    type('clear');
  });

  test('docker exec -it into a running container', async () => {
    const name = uniqueName('ex');
    d.dockerOk(['run', '-d', '--name', name, 'busybox', 'sleep', '1000']);
    type(`docker exec -it -w /tmp -e GREETING=howdy ${name} sh; echo "exec-rc=$?"`);
    await sleep(1000);
    type('echo "$GREETING from $(pwd)"; tty');
    await until(/howdy from \/tmp\s*\n\/dev\/pts\/\d+/);
    type('exit 5');
    await until(/exec-rc=5/);
    d.dockerOk(['rm', '-f', name]);
    type('clear');
  });

  test('docker attach, then detach with ctrl-p ctrl-q', async () => {
    const name = uniqueName('att');
    d.dockerOk(['run', '-dit', '--name', name, 'busybox', 'sh']);
    type(`docker attach ${name}; echo "attach-rc=$?"`);
    await sleep(800);
    type('echo attached-$((1+1))');
    await until(/attached-2/);
    tmux('send-keys', '-t', 'w', 'C-p', 'C-q');
    await until(/attach-rc=/);
    assert.equal(
      d.dockerOk(['inspect', '-f', '{{.State.Running}}', name]).trim(),
      'true',
      'still running after detach',
    );
    d.dockerOk(['rm', '-f', name]);
  });
});

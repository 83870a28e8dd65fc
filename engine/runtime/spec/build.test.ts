import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildOciSpec, mergeImageConfig, type BuildOciSpecOptions } from './build.js';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './defaults.js';

const ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9';
const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

describe('buildOciSpec', () => {
  let rootfs: string;
  before(async () => {
    rootfs = await mkdtemp(join(tmpdir(), 'wharf-spec-'));
    await mkdir(join(rootfs, 'etc'));
    await writeFile(
      join(rootfs, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nweb:x:33:33::/var/www:/bin/sh\n',
    );
    await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\nwww:x:33:\nlog:x:4:web\n');
  });
  after(() => rm(rootfs, { recursive: true, force: true }));

  const build = (o: Partial<BuildOciSpecOptions> = {}) =>
    buildOciSpec({ id: ID, config: { Cmd: ['sh'] }, rootfs, cgroupsPath: `/wharf/${ID}`, ...o });

  describe('command', () => {
    const image = { Entrypoint: ['/entry.sh'], Cmd: ['serve', '--port=80'] };
    test('image defaults', () => {
      const c = mergeImageConfig({}, image);
      assert.deepEqual([c.Entrypoint, c.Cmd], [['/entry.sh'], ['serve', '--port=80']]);
    });
    test('user Cmd replaces the image Cmd and keeps its Entrypoint', async () => {
      const s = await build({ config: { Cmd: ['debug'] }, imageConfig: image });
      assert.deepEqual(s.process.args, ['/entry.sh', 'debug']);
    });
    test('user Entrypoint drops the image Cmd', async () => {
      const s = await build({ config: { Entrypoint: ['/bin/sh', '-c'] }, imageConfig: image });
      assert.deepEqual(s.process.args, ['/bin/sh', '-c']);
    });
    test('--entrypoint "" runs the image Cmd alone', async () => {
      const s = await build({ config: { Entrypoint: [''] }, imageConfig: image });
      assert.deepEqual(s.process.args, ['serve', '--port=80']);
    });
    test('no command at all is an error', async () => {
      await assert.rejects(build({ config: {} }), {
        code: 'INVALID_CONFIG',
        message: /No command specified/,
      });
    });
    test('--init runs the init binary first', async () => {
      const s = await build({ hostConfig: { Init: true }, initBinary: '/usr/bin/tini' });
      assert.deepEqual(s.process.args, ['/sbin/docker-init', '--', 'sh']);
      assert.ok(s.mounts.some((m) => m.destination === '/sbin/docker-init' && m.source === '/usr/bin/tini'));
      await assert.rejects(build({ hostConfig: { Init: true } }), { code: 'INVALID_CONFIG' });
    });
  });

  describe('environment', () => {
    test('PATH and HOSTNAME defaults', async () => {
      const s = await build();
      assert.deepEqual(s.process.env, [PATH, `HOSTNAME=${ID.slice(0, 12)}`, 'HOME=/root']);
      assert.equal(s.hostname, ID.slice(0, 12));
    });
    test('TERM=xterm with a tty; the user’s values override', async () => {
      const s = await build({
        config: { Cmd: ['sh'], Tty: true, Hostname: 'box', Env: ['PATH=/opt/bin', 'A=1', 'TERM=dumb'] },
        imageConfig: { Env: ['A=image', 'B=2'] },
      });
      assert.deepEqual(s.process.env, [
        'PATH=/opt/bin',
        'HOSTNAME=box',
        'TERM=dumb',
        'A=1',
        'B=2',
        'HOME=/root',
      ]);
      assert.equal(s.process.terminal, true);
      const sized = await build({
        config: { Cmd: ['sh'], Tty: true },
        hostConfig: { ConsoleSize: [40, 120] },
      });
      assert.deepEqual(sized.process.consoleSize, { height: 40, width: 120 });
      assert.equal(s.hostname, 'box');
    });
    test('the image PATH replaces the default', async () => {
      const s = await build({ imageConfig: { Env: ['PATH=/image/bin'] } });
      assert.equal(s.process.env[0], 'PATH=/image/bin');
    });
  });

  describe('user and working dir', () => {
    test('names resolve from the rootfs', async () => {
      const s = await build({ config: { Cmd: ['sh'], User: 'web' } });
      assert.deepEqual(s.process.user, { uid: 33, gid: 33, additionalGids: [4] });
      assert.ok(s.process.env.includes('HOME=/var/www'));
    });
    test('image user and workdir are defaults', async () => {
      const s = await build({ imageConfig: { User: '1000:1000', WorkingDir: '/app/' } });
      assert.deepEqual(s.process.user, { uid: 1000, gid: 1000 });
      assert.equal(s.process.cwd, '/app/');
      assert.equal((await build()).process.cwd, '/');
    });
    test('relative working dirs are refused', async () => {
      await assert.rejects(build({ config: { Cmd: ['sh'], WorkingDir: 'app' } }), { code: 'INVALID_CONFIG' });
    });
  });

  describe('security', () => {
    test('default capabilities, masked and read-only paths, seccomp', async () => {
      const s = await build();
      const caps = s.process.capabilities;
      assert.deepEqual(caps?.bounding, [...DEFAULT_CAPABILITIES]);
      assert.deepEqual(caps?.effective, [...DEFAULT_CAPABILITIES]);
      assert.deepEqual(caps?.permitted, [...DEFAULT_CAPABILITIES]);
      assert.deepEqual(caps?.inheritable, []);
      for (const p of DEFAULT_MASKED_PATHS) assert.ok(s.linux.maskedPaths?.includes(p), p);
      assert.deepEqual(s.linux.readonlyPaths, [...DEFAULT_READONLY_PATHS]);
      assert.equal(s.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
      assert.equal(s.process.noNewPrivileges, undefined);
      assert.equal(s.root.readonly, false);
    });
    test('CapAdd/CapDrop', async () => {
      const s = await build({ hostConfig: { CapAdd: ['sys_admin'], CapDrop: ['CAP_NET_RAW'] } });
      assert.ok(s.process.capabilities?.bounding.includes('CAP_SYS_ADMIN'));
      assert.ok(!s.process.capabilities?.bounding.includes('CAP_NET_RAW'));
      assert.ok(
        s.linux.seccomp?.syscalls?.some((r) => r.names.includes('mount') && r.action === 'SCMP_ACT_ALLOW'),
      );
    });
    test('no-new-privileges, seccomp=unconfined, systempaths=unconfined, read-only root', async () => {
      const s = await build({
        hostConfig: {
          SecurityOpt: ['no-new-privileges:true', 'seccomp=unconfined', 'systempaths=unconfined'],
          ReadonlyRootfs: true,
        },
      });
      assert.equal(s.process.noNewPrivileges, true);
      assert.equal(s.linux.seccomp, undefined);
      assert.equal(s.linux.maskedPaths, undefined);
      assert.equal(s.root.readonly, true);
      assert.equal(
        (await build({ hostConfig: { SecurityOpt: ['no-new-privileges'] } })).process.noNewPrivileges,
        true,
      );
      await assert.rejects(build({ hostConfig: { SecurityOpt: ['bogus=1'] } }), { code: 'INVALID_CONFIG' });
    });
    test('privileged: all caps, no seccomp or masks, rw sysfs, all devices', async () => {
      const s = await build({ hostConfig: { Privileged: true } });
      assert.ok((s.process.capabilities?.bounding.length ?? 0) >= 38);
      assert.equal(s.linux.seccomp, undefined);
      assert.equal(s.linux.maskedPaths, undefined);
      assert.equal(s.linux.readonlyPaths, undefined);
      assert.ok(s.mounts.find((m) => m.destination === '/sys')?.options?.includes('rw'));
      assert.deepEqual(s.linux.resources?.devices, [{ allow: true, access: 'rwm' }]);
      assert.ok(s.linux.devices?.some((d) => d.path === '/dev/null'));
    });
    test('default device rules', async () => {
      const devices = (await build()).linux.resources?.devices ?? [];
      assert.deepEqual(devices[0], { allow: false, access: 'rwm' });
      const allowed = devices
        .filter((d) => d.allow && d.access === 'rwm')
        .map((d) => `${d.major}:${d.minor}`);
      assert.deepEqual(allowed.sort(), ['1:3', '1:5', '1:7', '1:8', '1:9', '136:null', '5:0', '5:2'].sort());
    });
  });

  describe('mounts and namespaces', () => {
    test('defaults with /dev/shm at 64m', async () => {
      const s = await build();
      assert.deepEqual(
        s.mounts.map((m) => m.destination),
        ['/proc', '/dev', '/sys', '/dev/pts', '/dev/mqueue', '/dev/shm', '/sys/fs/cgroup'],
      );
      assert.ok(s.mounts.find((m) => m.destination === '/dev/shm')?.options?.includes('size=67108864'));
      assert.ok(s.mounts.find((m) => m.destination === '/sys')?.options?.includes('ro'));
      assert.ok(s.mounts.find((m) => m.destination === '/sys/fs/cgroup')?.options?.includes('ro'));
    });
    test('ShmSize, Tmpfs, Binds and extra mounts', async () => {
      const s = await build({
        hostConfig: {
          ShmSize: 128 * 1024 * 1024,
          Tmpfs: { '/run': 'size=1m,exec' },
          Binds: ['/srv/data:/data:ro', '/srv/logs:/var/log'],
        },
        mounts: [{ destination: '/etc/hosts', type: 'bind', source: '/x/hosts', options: ['rbind', 'ro'] }],
      });
      assert.ok(s.mounts.find((m) => m.destination === '/dev/shm')?.options?.includes('size=134217728'));
      assert.deepEqual(
        s.mounts.find((m) => m.destination === '/run'),
        {
          destination: '/run',
          type: 'tmpfs',
          source: 'tmpfs',
          options: ['nosuid', 'nodev', 'size=1m'],
        },
      );
      assert.deepEqual(
        s.mounts.find((m) => m.destination === '/data'),
        {
          destination: '/data',
          type: 'bind',
          source: '/srv/data',
          options: ['rbind', 'ro', 'rprivate'],
        },
      );
      assert.ok(s.mounts.find((m) => m.destination === '/var/log')?.options?.includes('rw'));
      assert.ok(s.mounts.some((m) => m.destination === '/etc/hosts'));
      await assert.rejects(build({ hostConfig: { Binds: ['vol:/data'] } }), { code: 'INVALID_CONFIG' });
      const v = await build({
        hostConfig: { Binds: ['vol:/data'] },
        resolveVolume: (n) => `/volumes/${n}/_data`,
      });
      assert.equal(v.mounts.find((m) => m.destination === '/data')?.source, '/volumes/vol/_data');
    });
    test('a user mount replaces the default at the same place', async () => {
      const s = await build({ hostConfig: { Tmpfs: { '/dev/shm': 'size=1g' } } });
      const shm = s.mounts.filter((m) => m.destination === '/dev/shm');
      assert.equal(shm.length, 1);
      assert.ok(shm[0]?.options?.includes('size=1g'));
    });
    test('six namespaces; host modes and joined paths', async () => {
      assert.deepEqual(
        (await build()).linux.namespaces.map((n) => n.type),
        ['pid', 'ipc', 'uts', 'mount', 'network', 'cgroup'],
      );
      const s = await build({
        hostConfig: { NetworkMode: 'host', PidMode: 'host' },
        namespacePaths: { ipc: '/proc/1/ns/ipc' },
      });
      assert.deepEqual(s.linux.namespaces, [
        { type: 'ipc', path: '/proc/1/ns/ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'cgroup' },
      ]);
    });
    test('cgroupsPath, rlimits, oomScoreAdj, sysctls', async () => {
      const s = await build({
        hostConfig: {
          Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
          OomScoreAdj: 500,
          Sysctls: { 'net.ipv4.ip_forward': '1' },
          Memory: 32 * 1024 * 1024,
        },
      });
      assert.equal(s.linux.cgroupsPath, `/wharf/${ID}`);
      assert.deepEqual(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }]);
      assert.equal(s.process.oomScoreAdj, 500);
      assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ip_forward': '1' });
      assert.deepEqual(s.linux.resources?.memory, { limit: 33554432, swap: 67108864 });
      await assert.rejects(build({ hostConfig: { Ulimits: [{ Name: 'nofile', Soft: 2, Hard: 1 }] } }), {
        code: 'INVALID_CONFIG',
      });
      await assert.rejects(build({ hostConfig: { Ulimits: [{ Name: 'bogus', Soft: 1, Hard: 1 }] } }), {
        code: 'INVALID_CONFIG',
      });
      await assert.rejects(build({ hostConfig: { Sysctls: { 'kernel.hostname': 'x' } } }), {
        code: 'INVALID_CONFIG',
      });
    });
  });
});

// A container's "task": its rootfs mount, OCI bundle, shim and runtime state
// — everything that exists only while the container is created or running.
// The lifecycle service (container-runtime.ts) decides when; this file knows
// how, and how to undo it:
//
//   create()        mounts the rootfs, writes <exec-root>/containers/<id>/bundle/config.json,
//                   spawns the shim (`runtime create`), resolves with the init's pid
//   cleanup()       runtime delete (which removes the cgroup), stray shim, leftover
//                   cgroup dirs, rootfs unmount, the exec-root dir. Idempotent.
//   destroy()       cleanup() plus the container's storage and data dir
//   removeLeftover() the same for an id with no readable record (crash mid-create)
//   probe()         what survives of a task after an engine restart
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isWharfError, wharfError } from '../errors.js';
import { containerPaths, type EnginePaths } from '../paths.js';
import type { ContainerStorage } from '../storage/index.js';
import { removeCgroupLeftovers } from './cgroup-cleanup.js';
import type { OciRuntime, OciState } from './oci-runtime.js';
import { liveShimPid, readExitFile, spawnShim } from './shim-client.js';
import type { SpecBuilder } from './spec-adapter.js';
import type { ContainerRecord, ExitStatus } from './types.js';

export interface TaskDriverOptions {
  paths: EnginePaths;
  oci: OciRuntime;
  storage: ContainerStorage;
  specBuilder: SpecBuilder;
  shimPath: string;
  cgroupParent: string;
}

export interface TaskProbe {
  /** exit.json, when the container exited. */
  exit?: ExitStatus;
  /** The runtime's state, when the shim is alive and the runtime knows the container. */
  live?: OciState;
}

function killPid(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Mount points at or below `dir`, from /proc/self/mountinfo. */
async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\040/g, ' '))
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** rm -rf that refuses to descend into anything still mounted. */
async function removeUnmountedDir(dir: string): Promise<void> {
  const mounted = await mountsUnder(dir);
  if (mounted.length)
    throw wharfError('ROOTFS_FAILED', `still mounted, not removing ${dir}: ${mounted.join(', ')}`);
  await rm(dir, { recursive: true, force: true });
}

export class TaskDriver {
  constructor(private readonly o: TaskDriverOptions) {}

  cgroupsPath(id: string): string {
    return `${this.o.cgroupParent}/${id}`;
  }

  stateDir(id: string): string {
    return containerPaths.stateDir(this.o.paths, id);
  }

  hostname(rec: ContainerRecord): string {
    return rec.config.Hostname || rec.id.slice(0, 12);
  }

  /** The rootfs path, mounting the overlay when needed (a no-op when mounted). */
  async rootfsPath(rec: ContainerRecord): Promise<string> {
    if ('dir' in rec.rootfs) return resolve(rec.rootfs.dir);
    const rootfs = await this.o.storage.open(containerPaths.dataDir(this.o.paths, rec.id));
    return this.o.storage.mount(rootfs);
  }

  /** Mounts the rootfs, writes the bundle, and has a shim run `runtime create`. Resolves with the pid. */
  async create(rec: ContainerRecord): Promise<number> {
    const { paths } = this.o;
    const id = rec.id;
    const bundle = containerPaths.bundle(paths, id);
    await rm(this.stateDir(id), { recursive: true, force: true });
    await mkdir(bundle, { recursive: true, mode: 0o700 });
    await mkdir(containerPaths.runtimeRoot(paths), { recursive: true, mode: 0o700 });
    const spec = await this.o.specBuilder.spec({
      id,
      config: rec.config,
      hostConfig: rec.hostConfig,
      rootfsPath: await this.rootfsPath(rec),
      hostname: this.hostname(rec),
      cgroupsPath: this.cgroupsPath(id),
    });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec, null, 2), { mode: 0o600 });
    return spawnShim({
      shimPath: this.o.shimPath,
      id,
      runtimePath: this.o.oci.binary,
      runtimeRoot: this.o.oci.root,
      bundle,
      stateDir: this.stateDir(id),
      logPath: rec.logPath,
      terminal: rec.config.Tty === true,
      stdin: rec.config.OpenStdin === true,
    });
  }

  /** SIGKILLs every process of the container (thawing it if paused). Never throws. */
  async killAll(id: string): Promise<void> {
    const state = await this.o.oci.state(id);
    if (state && state.status !== 'stopped') {
      await this.o.oci.kill(id, 'SIGKILL', true).catch(() => {});
      if (state.status === 'paused') await this.o.oci.resume(id).catch(() => {});
    }
  }

  /** Undoes create(). Idempotent; collects errors and throws them together at the end. */
  async cleanup(rec: ContainerRecord): Promise<void> {
    const { oci, storage, paths } = this.o;
    const id = rec.id;
    const errors: unknown[] = [];
    const shim = await liveShimPid(this.stateDir(id), id);
    if ((await oci.state(id)) !== undefined)
      await oci.delete(id, true).catch((err: unknown) => errors.push(err));
    // The shim leaves by itself once the container is gone and exit.json is
    // written; one that lingers past that (or after a failed create) is killed.
    killPid(shim);
    const stuck = await removeCgroupLeftovers(this.cgroupsPath(id));
    if (stuck.length) errors.push(new Error(`cgroups still in use: ${stuck.join(', ')}`));
    if ('layers' in rec.rootfs) {
      try {
        await storage.unmount(await storage.open(containerPaths.dataDir(paths, id)));
      } catch (err) {
        if (!isWharfError(err, 'STORE_CORRUPT')) errors.push(err);
      }
    }
    await rm(this.stateDir(id), { recursive: true, force: true });
    if (errors.length) throw wharfError('RUNTIME_FAILED', `cleaning up ${id}`, new AggregateError(errors));
  }

  /** Removes everything a container owns: task, storage, record and logs. Idempotent. */
  async destroy(rec: ContainerRecord): Promise<void> {
    await this.killAll(rec.id);
    await this.cleanup(rec);
    const dataDir = containerPaths.dataDir(this.o.paths, rec.id);
    if ('layers' in rec.rootfs) await this.o.storage.remove(dataDir);
    await removeUnmountedDir(dataDir);
  }

  /** Cleans an id that has dirs but no readable record (a crash mid-create or mid-remove). */
  async removeLeftover(id: string): Promise<void> {
    const shim = await liveShimPid(this.stateDir(id), id);
    await this.killAll(id);
    killPid(shim);
    if ((await this.o.oci.state(id)) !== undefined) await this.o.oci.delete(id, true).catch(() => {});
    await removeCgroupLeftovers(this.cgroupsPath(id));
    const dataDir = containerPaths.dataDir(this.o.paths, id);
    if (existsSync(join(dataDir, 'rootfs.json'))) await this.o.storage.remove(dataDir);
    await rm(this.stateDir(id), { recursive: true, force: true });
    await removeUnmountedDir(dataDir);
  }

  /** What is left of a task from an earlier engine. */
  async probe(id: string): Promise<TaskProbe> {
    const exit = await readExitFile(this.stateDir(id)).catch(() => undefined);
    if (exit) return { exit };
    if ((await liveShimPid(this.stateDir(id), id)) === undefined) return {};
    const state = await this.o.oci.state(id);
    return state && state.status !== 'stopped' ? { live: state } : {};
  }
}

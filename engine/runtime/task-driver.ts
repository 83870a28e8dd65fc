// A container's "task": its rootfs mount, OCI bundle, shim and runtime state
// — everything that exists only while the container is created or running.
// The lifecycle service (container-runtime.ts) decides when; this file knows
// how, and how to undo it:
//
//   prepareRootfs() the container's storage (overlay upper dir and init layer)
//   create()        mounts the rootfs, writes <exec-root>/c/<id>/bundle/config.json,
//                   spawns the shim (`runtime create`), resolves with the init's pid
//   cleanup()       runtime delete (which removes the cgroup), stray shim, leftover
//                   cgroup dirs, rootfs unmount, the exec-root dir. Idempotent.
//   destroy()       cleanup() plus the container's storage and data dir
//   removeLeftover() the same for an id with no readable record (crash mid-create)
//   probe()         what survives of a task after an engine restart
//   startExec()     a second shim in exec mode in the running container
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isWharfError, wharfError } from '../errors.js';
import { containerPaths, type EnginePaths } from '../paths.js';
import type { ContainerStorage } from '../storage/index.js';
import { mountsUnder } from '../storage/mountinfo.js';
import { removeCgroupLeftovers } from './cgroup-cleanup.js';
import { trace } from '../util/trace.js';
import { ExecSession } from './exec.js';
import type { OciRuntime, OciState } from './oci-runtime.js';
import { liveShimPid, readExitFile, spawnShim } from './shim-client.js';
import type { SpecBuilder } from './spec-adapter.js';
import type { OciSpec } from './spec/oci-types.js';
import { resolveUser } from './spec/user.js';
import type { ContainerRecord, ExecOptions, ExitStatus } from './types.js';

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

  /** Prepares the container's storage: an overlay over the image layers (nothing for a plain dir). */
  async prepareRootfs(rec: ContainerRecord): Promise<void> {
    if (!('layers' in rec.rootfs)) return;
    const { hostConfig } = rec;
    await this.o.storage.prepare({
      id: rec.id,
      dir: containerPaths.dataDir(this.o.paths, rec.id),
      layers: rec.rootfs.layers,
      init: {
        hostname: this.hostname(rec),
        domainname: rec.config.Domainname || undefined,
        dns: hostConfig.Dns ?? undefined,
        dnsSearch: hostConfig.DnsSearch ?? undefined,
        dnsOptions: hostConfig.DnsOptions ?? undefined,
        extraHosts: hostConfig.ExtraHosts ?? undefined,
      },
    });
  }

  /** Mounts the rootfs, writes the bundle, and has a shim run `runtime create`. Resolves with the pid. */
  async create(rec: ContainerRecord): Promise<number> {
    const { paths } = this.o;
    const id = rec.id;
    const bundle = containerPaths.bundle(paths, id);
    const [rootfsPath] = await Promise.all([
      this.rootfsPath(rec),
      rm(this.stateDir(id), { recursive: true, force: true }).then(() =>
        mkdir(bundle, { recursive: true, mode: 0o700 }),
      ),
      mkdir(containerPaths.runtimeRoot(paths), { recursive: true, mode: 0o700 }),
    ]);
    trace('task mounted');
    const spec = await this.o.specBuilder.spec({
      id,
      config: rec.config,
      hostConfig: rec.hostConfig,
      rootfsPath,
      hostname: this.hostname(rec),
      cgroupsPath: this.cgroupsPath(id),
    });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec, null, 2), { mode: 0o600 });
    trace('task bundle');
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

  /** Starts `opts` in the running container under an exec-mode shim, state in <exec-root>/exec/<key>. */
  async startExec(
    rec: ContainerRecord,
    opts: ExecOptions,
    key = randomBytes(8).toString('hex'),
  ): Promise<ExecSession> {
    const bundle = containerPaths.bundle(this.o.paths, rec.id);
    const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as OciSpec;
    return ExecSession.start({
      user: opts.user ? await resolveUser(await this.rootfsPath(rec), opts.user) : undefined,
      containerId: rec.id,
      stateDir: containerPaths.execStateDir(this.o.paths, key),
      spec,
      opts,
      shim: {
        shimPath: this.o.shimPath,
        runtimePath: this.o.oci.binary,
        runtimeRoot: this.o.oci.root,
        bundle,
      },
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
    trace('cleanup shimpid');
    // The runtime's delete (then the cgroups) and the rootfs unmount overlap:
    // the container's processes hold their own copy of the mount, in their
    // mount namespace, not the host's.
    const runtimeGone = (async (): Promise<void> => {
      // Delete straight away (one runtime call instead of state + delete); a
      // failure only counts when the runtime still knows the container.
      await oci.delete(id, true).catch(async (err: unknown) => {
        if ((await oci.state(id)) !== undefined) errors.push(err);
      });
      trace('cleanup deleted');
      // The shim leaves by itself once the container is gone and exit.json is
      // written; one that lingers past that (or after a failed create) is killed.
      killPid(shim);
      const stuck = await removeCgroupLeftovers(this.cgroupsPath(id));
      trace('cleanup cgroups');
      if (stuck.length) errors.push(new Error(`cgroups still in use: ${stuck.join(', ')}`));
    })();
    const unmounted = (async (): Promise<void> => {
      if (!('layers' in rec.rootfs)) return;
      try {
        await storage.unmount(await storage.open(containerPaths.dataDir(paths, id)));
      } catch (err) {
        if (!isWharfError(err, 'STORE_CORRUPT')) errors.push(err);
      }
    })();
    await Promise.all([runtimeGone, unmounted]);
    trace('cleanup unmounted');
    await rm(this.stateDir(id), { recursive: true, force: true });
    trace('cleanup done');
    if (errors.length) throw wharfError('RUNTIME_FAILED', `cleaning up ${id}`, new AggregateError(errors));
  }

  /**
   * Removes everything a container owns: task, storage, record and logs.
   * Idempotent. `taskCleaned`: cleanup() already succeeded since the task's
   * exit (nothing to kill or unmount), so only the storage goes.
   */
  async destroy(rec: ContainerRecord, opts: { taskCleaned?: boolean } = {}): Promise<void> {
    if (!opts.taskCleaned) {
      await this.killAll(rec.id);
      trace('destroy killall');
      await this.cleanup(rec);
    }
    const dataDir = containerPaths.dataDir(this.o.paths, rec.id);
    if ('layers' in rec.rootfs) await this.o.storage.remove(dataDir);
    // The overlay storage deletes the whole dir; skip the mount-table scan then.
    if (existsSync(dataDir)) await removeUnmountedDir(dataDir);
    trace('destroy storage removed');
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

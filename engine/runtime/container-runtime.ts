// The container lifecycle service: Docker-shaped create/start/stop/... over
// an OCI runtime and one wharf-shim per container (DESIGN.md, "Data flow").
//
// Lifecycle of one container:
//
//   create   storage prepares + mounts the rootfs, config.json is written to
//            <exec-root>/containers/<id>/bundle, the record is persisted, and
//            a shim runs `runtime create`: the container is `created` and its
//            init waits for start. A failure anywhere undoes every step.
//   start    `runtime start`. Starting an exited container first makes a new
//            task (rootfs mount, bundle, shim) as Docker does.
//   exit     the shim writes exit.json; the service records the status, emits
//            oom/die, deletes the runtime's state (and so the cgroup), unmounts
//            the rootfs and removes the exec-root dir. Only then do waiters resolve.
//   remove   refuses a running container unless forced; removes the rootfs,
//            the record and the log.
//
// Records live in <data-root>/containers/<id>/config.v2.json (atomic writes);
// the exec root holds only what dies with a reboot. open() re-adopts what an
// earlier engine left: live shims stay running, exit.json is applied, and
// half-created leftovers are removed.
//
// Operations on one container are serialised; waiting for an exit is not,
// so stop() and wait() never block remove() or each other.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants as osConstants } from 'node:os';
import { isErrno, wharfError, type WharfError } from '../errors.js';
import { containerPaths, resolveEnginePaths, type EnginePathOptions, type EnginePaths } from '../paths.js';
import { createOverlayStorage, type ContainerStorage } from '../storage/index.js';
import { writeJsonAtomic } from './atomic-file.js';
import { AttachClient } from './attach.js';
import { held, watchExit, type ExitWatch } from './exit-watcher.js';
import { mergeResources, normalizeHostConfig } from './merge-config.js';
import { mergeImageConfig } from './spec/build.js';
import { resolveUser } from './spec/user.js';
import { OciRuntime } from './oci-runtime.js';
import { SHIM_FILES } from './shim-client.js';
import { defaultSpecBuilder, type SpecBuilder } from './spec-adapter.js';
import { TaskDriver } from './task-driver.js';
import { ExecSession, type ExecHandle } from './exec.js';
import type { OciSpec } from './spec/oci-types.js';
import { locateCgroupByPath, readCgroupStats, type CgroupStats } from './cgroups/index.js';
import type {
  ContainerEvent,
  ContainerEventName,
  ContainerRecord,
  CreateContainerInput,
  ExecOptions,
  ExitStatus,
  HostConfig,
  RuntimeEvents,
} from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_NATIVE_DIR = resolve(here, '../../native/build/Release');

export interface ContainerRuntimeOptions {
  /** Data and exec roots (default: resolveEnginePaths()). */
  paths?: EnginePaths | EnginePathOptions;
  /** The OCI runtime binary (default native/build/Release/wharf-runtime; runc works too). */
  runtimePath?: string;
  /** wharf-shim (default native/build/Release/wharf-shim). */
  shimPath?: string;
  storage?: ContainerStorage;
  specBuilder?: SpecBuilder;
  /** Parent of every container's cgroup: linux.cgroupsPath = <cgroupParent>/<id>. Default /wharf. */
  cgroupParent?: string;
}

export interface StopOptions {
  /** Seconds before SIGKILL (default: Config.StopTimeout, else 10). */
  timeout?: number;
  /** Default: Config.StopSignal, else SIGTERM. */
  signal?: string;
}

interface Task {
  watch: ExitWatch;
  /** Resolves after the exit was recorded and the task cleaned up. */
  done: Promise<ExitStatus>;
}

/** Signal name or number -> number, accepting "TERM", "SIGTERM", "15". */
export function signalNumber(sig: string | number): number {
  if (typeof sig === 'number') return sig;
  if (/^\d+$/.test(sig)) return Number(sig);
  const name = sig.toUpperCase().startsWith('SIG') ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`;
  const n = (osConstants.signals as Record<string, number>)[name];
  if (n === undefined) throw wharfError('INVALID_ARGUMENT', `invalid signal: ${sig}`);
  return n;
}

export class ContainerRuntime extends EventEmitter<RuntimeEvents> implements AsyncDisposable {
  readonly paths: EnginePaths;
  readonly runtimePath: string;
  readonly shimPath: string;
  readonly oci: OciRuntime;
  private readonly storage: ContainerStorage;
  private readonly specBuilder: SpecBuilder;
  private readonly driver: TaskDriver;
  private readonly records = new Map<string, ContainerRecord>();
  private readonly tasks = new Map<string, Task>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly execs = new Map<string, ExecSession>();
  private disposed = false;
  /** Damaged records open() skipped (left on disk untouched). */
  readonly recoveryErrors: WharfError[] = [];
  /** Aborted on dispose: pending waits reject instead of hanging. */
  private readonly closing = new AbortController();

  private constructor(opts: ContainerRuntimeOptions) {
    super();
    this.paths = resolveEnginePaths(opts.paths);
    this.runtimePath = opts.runtimePath ?? join(DEFAULT_NATIVE_DIR, 'wharf-runtime');
    this.shimPath = opts.shimPath ?? join(DEFAULT_NATIVE_DIR, 'wharf-shim');
    this.oci = new OciRuntime(this.runtimePath, containerPaths.runtimeRoot(this.paths));
    this.storage = opts.storage ?? createOverlayStorage();
    this.specBuilder = opts.specBuilder ?? defaultSpecBuilder;
    this.driver = new TaskDriver({
      paths: this.paths,
      oci: this.oci,
      storage: this.storage,
      specBuilder: this.specBuilder,
      shimPath: this.shimPath,
      cgroupParent: (opts.cgroupParent ?? '/wharf').replace(/\/+$/, ''),
    });
  }

  /** Opens the store and re-adopts containers an earlier engine left running. */
  static async open(opts: ContainerRuntimeOptions = {}): Promise<ContainerRuntime> {
    const rt = new ContainerRuntime(opts);
    await rt.recover();
    return rt;
  }

  // ---- queries ---------------------------------------------------------

  list(): ContainerRecord[] {
    return [...this.records.values()].map((r) => structuredClone(r));
  }

  inspect(id: string): ContainerRecord {
    return structuredClone(this.record(id));
  }

  has(id: string): boolean {
    return this.records.has(id);
  }

  cgroupsPath(id: string): string {
    return this.driver.cgroupsPath(id);
  }

  /** The shim's state dir (shim.pid, exit.json, attach.sock). */
  stateDir(id: string): string {
    return this.driver.stateDir(id);
  }

  // ---- create ----------------------------------------------------------

  async create(input: CreateContainerInput): Promise<ContainerRecord> {
    this.assertOpen();
    const id = input.id ?? randomBytes(32).toString('hex');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(id))
      throw wharfError('INVALID_ARGUMENT', `container id ${id}`);
    if (this.records.has(id) || existsSync(containerPaths.dataDir(this.paths, id))) {
      throw wharfError('CONTAINER_EXISTS', id);
    }
    const config = mergeImageConfig(input.config, input.image);
    if (!(config.Entrypoint?.length || config.Cmd?.length)) {
      throw wharfError('INVALID_CONFIG', 'no command specified');
    }
    const rec: ContainerRecord = {
      id,
      name: input.name ?? id.slice(0, 12),
      created: new Date().toISOString(),
      config,
      hostConfig: normalizeHostConfig(input.hostConfig),
      rootfs: input.rootfs,
      logPath: containerPaths.log(this.paths, id),
      state: {
        status: 'created',
        pid: 0,
        exitCode: 0,
        signal: null,
        oomKilled: false,
        startedAt: null,
        finishedAt: null,
        error: '',
      },
    };
    return this.locked(id, async () => {
      this.records.set(id, rec);
      try {
        await mkdir(containerPaths.dataDir(this.paths, id), { recursive: true, mode: 0o700 });
        if ('layers' in rec.rootfs) {
          await this.storage.prepare({
            id,
            dir: containerPaths.dataDir(this.paths, id),
            layers: rec.rootfs.layers,
            init: {
              hostname: this.driver.hostname(rec),
              domainname: config.Domainname || undefined,
              dns: rec.hostConfig.Dns ?? undefined,
              dnsSearch: rec.hostConfig.DnsSearch ?? undefined,
              dnsOptions: rec.hostConfig.DnsOptions ?? undefined,
              extraHosts: rec.hostConfig.ExtraHosts ?? undefined,
            },
          });
        }
        // Persist before the shim exists: a crash from here on leaves a record
        // open() can clean up; before here, a dir without a record (also cleaned).
        await this.save(rec);
        await this.createTask(rec);
      } catch (err) {
        await this.destroy(rec).catch(() => {});
        this.records.delete(id);
        throw err;
      }
      this.emitEvent('create', id);
      return structuredClone(rec);
    });
  }

  // ---- start / stop / kill ---------------------------------------------

  /** Starts a created or exited container. Resolves false when it was already running. */
  async start(id: string): Promise<boolean> {
    return this.locked(id, async () => {
      const rec = this.record(id);
      if (rec.state.status === 'running' || rec.state.status === 'paused') return false;
      if (rec.state.status !== 'created' && rec.state.status !== 'exited') {
        throw wharfError('CONTAINER_BUSY', id);
      }
      if (!this.tasks.has(id)) await this.createTask(rec);
      try {
        await this.oci.start(id);
      } catch (err) {
        await this.driver.killAll(id);
        throw err;
      }
      rec.state = {
        ...rec.state,
        status: 'running',
        exitCode: 0,
        signal: null,
        oomKilled: false,
        startedAt: new Date().toISOString(),
        finishedAt: null,
        error: '',
      };
      await this.save(rec);
      this.emitEvent('start', id);
      return true;
    });
  }

  /**
   * Sends the stop signal, then SIGKILL after the timeout; resolves with the
   * exit status (undefined when the container was not running: Docker's 304).
   */
  async stop(id: string, opts: StopOptions = {}): Promise<ExitStatus | undefined> {
    const rec = this.record(id);
    const task = this.tasks.get(id);
    if (!task || (rec.state.status !== 'running' && rec.state.status !== 'paused')) return undefined;
    const signal = opts.signal ?? rec.config.StopSignal ?? 'SIGTERM';
    const timeout = opts.timeout ?? rec.config.StopTimeout ?? 10;
    await this.signal(id, signal).catch((err: unknown) => {
      if (!this.tasks.has(id)) return; // exited meanwhile
      throw err;
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>(
      (r) => (timer = setTimeout(() => r('timeout'), Math.max(0, timeout) * 1000)),
    );
    const first = await Promise.race([task.done, timedOut]);
    clearTimeout(timer);
    if (first === 'timeout') await this.signal(id, 'SIGKILL').catch(() => {});
    const status = await this.untilExit(task);
    this.emitEvent('stop', id);
    return status;
  }

  /** Sends a signal (default SIGKILL) to the container's init. */
  async kill(id: string, signal: string = 'SIGKILL'): Promise<void> {
    const rec = this.record(id);
    if (!this.tasks.has(id) || (rec.state.status !== 'running' && rec.state.status !== 'paused')) {
      throw wharfError('CONTAINER_NOT_RUNNING', id);
    }
    await this.signal(id, signal);
  }

  private async signal(id: string, signal: string): Promise<void> {
    const num = signalNumber(signal);
    await this.oci.kill(id, String(num));
    this.emitEvent('kill', id, { signal: String(num) });
    // A frozen process only acts on the signal once thawed (Docker does the same).
    const rec = this.records.get(id);
    if (
      rec?.state.status === 'paused' &&
      (num === osConstants.signals.SIGKILL || num === osConstants.signals.SIGTERM)
    ) {
      await this.unpause(id).catch(() => {});
    }
  }

  // ---- pause / update --------------------------------------------------

  async pause(id: string): Promise<void> {
    await this.locked(id, async () => {
      const rec = this.record(id);
      if (rec.state.status === 'paused') throw wharfError('CONTAINER_PAUSED', id);
      if (rec.state.status !== 'running') throw wharfError('CONTAINER_NOT_RUNNING', id);
      await this.oci.pause(id);
      rec.state.status = 'paused';
      await this.save(rec);
      this.emitEvent('pause', id);
    });
  }

  async unpause(id: string): Promise<void> {
    await this.locked(id, async () => {
      const rec = this.record(id);
      if (rec.state.status !== 'paused') throw wharfError('CONTAINER_NOT_PAUSED', id);
      await this.oci.resume(id);
      rec.state.status = 'running';
      await this.save(rec);
      this.emitEvent('unpause', id);
    });
  }

  /** Docker's update: merges the resource fields and applies them live when the container runs. */
  async update(id: string, resources: HostConfig): Promise<ContainerRecord> {
    return this.locked(id, async () => {
      const rec = this.record(id);
      const next = mergeResources(rec.hostConfig, resources);
      if (
        this.tasks.has(id) &&
        (rec.state.status === 'running' || rec.state.status === 'paused' || rec.state.status === 'created')
      ) {
        const oci = await this.specBuilder.resources(next);
        await this.oci.update(id, oci, join(this.stateDir(id), 'resources.json'));
      }
      rec.hostConfig = next;
      await this.save(rec);
      this.emitEvent('update', id);
      return structuredClone(rec);
    });
  }

  // ---- wait / remove ---------------------------------------------------

  /**
   * Resolves with the exit status once the container exits (immediately with
   * the last status when it is not running and has no task).
   */
  async wait(id: string, signal?: AbortSignal): Promise<ExitStatus> {
    const rec = this.record(id);
    const task = this.tasks.get(id);
    if (!task)
      return { exitCode: rec.state.exitCode, oomKilled: rec.state.oomKilled, signal: rec.state.signal };
    return this.untilExit(task, signal);
  }

  /** task.done, held open, rejecting when `signal` aborts or the engine is disposed. */
  private untilExit(task: Task, signal?: AbortSignal): Promise<ExitStatus> {
    const signals = signal ? [signal, this.closing.signal] : [this.closing.signal];
    const any = AbortSignal.any(signals);
    if (any.aborted) return Promise.reject(any.reason as Error);
    return held(
      new Promise<ExitStatus>((resolve, reject) => {
        const onAbort = (): void => reject(any.reason as Error);
        any.addEventListener('abort', onAbort, { once: true });
        task.done.then(resolve, reject).finally(() => any.removeEventListener('abort', onAbort));
      }),
    );
  }

  async remove(id: string, opts: { force?: boolean } = {}): Promise<void> {
    const rec = this.record(id);
    if (this.tasks.has(id) && (rec.state.status === 'running' || rec.state.status === 'paused')) {
      if (!opts.force) throw wharfError('CONTAINER_RUNNING', id);
      await this.kill(id, 'SIGKILL').catch(() => {});
      const task = this.tasks.get(id);
      if (task) await this.untilExit(task);
    }
    await this.locked(id, async () => {
      rec.state.status = 'removing';
      await this.save(rec).catch(() => {});
      await this.destroy(rec);
      this.records.delete(id);
      this.emitEvent('destroy', id);
    });
  }

  // ---- attach / exec ---------------------------------------------------

  /** Connects to the container's attach socket (stdin, stdout/stderr, resize). */
  async attach(id: string): Promise<AttachClient> {
    this.record(id);
    if (!this.tasks.has(id)) throw wharfError('CONTAINER_NOT_RUNNING', id);
    return AttachClient.connect(join(this.stateDir(id), SHIM_FILES.attachSocket));
  }

  /** Runs a process in the running container (a second shim in exec mode). */
  async exec(id: string, opts: ExecOptions): Promise<ExecHandle> {
    const rec = this.record(id);
    if (!this.tasks.has(id) || rec.state.status !== 'running') throw wharfError('CONTAINER_NOT_RUNNING', id);
    const spec = JSON.parse(
      await readFile(join(containerPaths.bundle(this.paths, id), 'config.json'), 'utf8'),
    ) as OciSpec;
    const user = opts.user ? await resolveUser(await this.driver.rootfsPath(rec), opts.user) : undefined;
    const session = await ExecSession.start({
      user,
      containerId: id,
      stateDir: containerPaths.execStateDir(this.paths, id, randomBytes(16).toString('hex')),
      spec,
      opts,
      shim: {
        shimPath: this.shimPath,
        runtimePath: this.runtimePath,
        runtimeRoot: containerPaths.runtimeRoot(this.paths),
        bundle: containerPaths.bundle(this.paths, id),
      },
    });
    this.execs.set(session.id, session);
    this.emitEvent('exec_create', id, { execID: session.id });
    void session.exit.then((s) => {
      this.emitEvent('exec_die', id, { execID: session.id, exitCode: String(s.exitCode) });
    });
    return session;
  }

  getExec(execId: string): ExecHandle {
    const s = this.execs.get(execId);
    if (!s) throw wharfError('EXEC_NOT_FOUND', execId);
    return s;
  }

  // ---- stats -----------------------------------------------------------

  /** One sample of the container's cgroup counters (CPU, memory, pids, blkio, OOM kills). */
  async stats(id: string): Promise<CgroupStats> {
    const rec = this.record(id);
    if (!this.tasks.has(id) || (rec.state.status !== 'running' && rec.state.status !== 'paused')) {
      throw wharfError('CONTAINER_NOT_RUNNING', id);
    }
    return readCgroupStats(await locateCgroupByPath(this.cgroupsPath(id)));
  }

  // ---- disposal --------------------------------------------------------

  /** Stops watching; containers keep running and a later open() re-adopts them. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.disposed = true;
    this.closing.abort(wharfError('INTERNAL', 'the container runtime was disposed while waiting'));
    for (const t of this.tasks.values()) t.watch[Symbol.dispose]();
    for (const e of this.execs.values()) e[Symbol.dispose]();
    this.tasks.clear();
    this.execs.clear();
    await Promise.allSettled([...this.locks.values()]);
  }

  // ---- internals -------------------------------------------------------

  private assertOpen(): void {
    if (this.disposed) throw wharfError('INTERNAL', 'the container runtime was disposed');
  }

  private record(id: string): ContainerRecord {
    const rec = this.records.get(id);
    if (!rec) throw wharfError('CONTAINER_NOT_FOUND', id);
    return rec;
  }

  private emitEvent(name: ContainerEventName, id: string, attributes?: Record<string, string>): void {
    const ev: ContainerEvent = attributes ? { id, attributes } : { id };
    this.emit(name, ev);
  }

  private async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  private async save(rec: ContainerRecord): Promise<void> {
    await writeJsonAtomic(containerPaths.record(this.paths, rec.id), rec);
  }

  /** Has the driver make a task (mount, bundle, shim) and starts watching for its exit. */
  private async createTask(rec: ContainerRecord): Promise<void> {
    rec.state.pid = await this.driver.create(rec);
    if (rec.state.status === 'exited') rec.state.status = 'created';
    this.watchTask(rec);
    await this.save(rec);
  }

  private watchTask(rec: ContainerRecord): void {
    const watch = watchExit(this.stateDir(rec.id), rec.id);
    const done = watch.exited.then((status) => this.locked(rec.id, () => this.onExit(rec, status)));
    this.tasks.set(rec.id, { watch, done });
  }

  private async onExit(rec: ContainerRecord, status: ExitStatus): Promise<ExitStatus> {
    const id = rec.id;
    this.tasks.delete(id);
    rec.state = {
      ...rec.state,
      status: 'exited',
      pid: 0,
      exitCode: status.exitCode,
      signal: status.signal,
      oomKilled: status.oomKilled,
      finishedAt: status.finishedAt ?? new Date().toISOString(),
    };
    await this.cleanupTask(rec).catch((err: unknown) => {
      rec.state.error = err instanceof Error ? err.message : String(err);
    });
    if (this.records.get(id) === rec && !this.disposed) await this.save(rec).catch(() => {});
    if (status.oomKilled) this.emitEvent('oom', id);
    this.emitEvent('die', id, { exitCode: String(status.exitCode) });
    return status;
  }

  /** Stops watching the task and its execs (the processes are the driver's business). */
  private forgetTask(id: string): void {
    this.tasks.get(id)?.watch[Symbol.dispose]();
    this.tasks.delete(id);
    for (const [execId, e] of this.execs) {
      if (e.containerId !== id) continue;
      e[Symbol.dispose]();
      this.execs.delete(execId);
    }
  }

  /** Undoes the task (runtime state, cgroup, mount, exec-root dir). Idempotent. */
  private async cleanupTask(rec: ContainerRecord): Promise<void> {
    this.forgetTask(rec.id);
    await this.driver.cleanup(rec);
  }

  /** Removes everything the container owns. Idempotent. */
  private async destroy(rec: ContainerRecord): Promise<void> {
    this.forgetTask(rec.id);
    await this.driver.destroy(rec);
  }

  /** Loads records and reconciles them with what is alive (see the header). */
  private async recover(): Promise<void> {
    const dataDir = containerPaths.containersDataDir(this.paths);
    const execDir = containerPaths.containersExecDir(this.paths);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await mkdir(execDir, { recursive: true, mode: 0o700 });
    await mkdir(containerPaths.runtimeRoot(this.paths), { recursive: true, mode: 0o700 });

    for (const id of await readdir(dataDir)) {
      let rec: ContainerRecord;
      try {
        rec = JSON.parse(await readFile(containerPaths.record(this.paths, id), 'utf8')) as ContainerRecord;
      } catch (err) {
        if (isErrno(err, 'ENOENT')) {
          // Half-created: a crash before the record was written.
          await this.driver.removeLeftover(id);
        } else {
          // Atomic writes never tear a record; leave a damaged one for a human.
          this.recoveryErrors.push(wharfError('STORE_CORRUPT', `container record ${id}`, err));
        }
        continue;
      }
      this.records.set(id, rec);
      await this.locked(id, () => this.reconcile(rec));
    }
    // Exec-root dirs without a record: a crash between rollback steps.
    for (const id of await readdir(execDir)) {
      if (!this.records.has(id) && !existsSync(containerPaths.dataDir(this.paths, id))) {
        await this.driver.removeLeftover(id);
      }
    }
  }

  private async reconcile(rec: ContainerRecord): Promise<void> {
    const id = rec.id;
    if (rec.state.status === 'removing') {
      await this.destroy(rec).catch(() => {});
      this.records.delete(id);
      return;
    }
    const { exit, live } = await this.driver.probe(id);
    if (live) {
      rec.state.status =
        live.status === 'paused' ? 'paused' : live.status === 'created' ? 'created' : 'running';
      rec.state.pid = live.pid;
      this.watchTask(rec);
      await this.save(rec);
      return;
    }
    if (exit) {
      if (rec.state.status === 'running' || rec.state.status === 'paused') {
        await this.onExit(rec, exit);
        return;
      }
    } else if (rec.state.status === 'running' || rec.state.status === 'paused') {
      // The shim is gone without a word (reboot, kill -9): Docker reports 255.
      rec.state = {
        ...rec.state,
        status: 'exited',
        pid: 0,
        exitCode: 255,
        finishedAt: new Date().toISOString(),
      };
    }
    // No live shim: whatever is left of the task (a container without its
    // monitor cannot be attached or waited for) is removed.
    await this.driver.killAll(id);
    await this.cleanupTask(rec).catch((err: unknown) => {
      rec.state.error = err instanceof Error ? err.message : String(err);
    });
    rec.state.pid = 0;
    await this.save(rec);
  }
}

// What the API handlers work on: the container runtime, the image store (when
// wired), the API's own container metadata (names, image IDs, restart
// bookkeeping), the event feed, and exec instances. The daemon builds one
// Engine and hands it to the routes (routes.ts).
import { randomBytes } from 'node:crypto';
import type { EnginePaths } from '../paths.js';
import { containerPaths } from '../paths.js';
import type {
  ContainerRuntime,
  ContainerRecord,
  ContainerEventName,
  ContainerEvent,
} from '../runtime/index.js';
import type { ContainerStorage, ContainerRootfs } from '../storage/index.js';
import { createOverlayStorage } from '../storage/index.js';
import type { FsImageStore } from '../images/image-store.js';
import type { AuthStore } from '../registry/auth.js';
import type { VolumeStore } from '../volumes/index.js';
import { conflict, notFound } from './errors.js';
import { EventBus } from './events.js';
import { MetaStore, type ContainerMeta } from './meta.js';
import type { ExecInstance } from './exec-registry.js';

export interface DaemonSettings {
  insecureRegistries: string[];
  registryMirrors: string[];
  debug: boolean;
  /** Unique id of this daemon (persisted by the daemon). */
  id: string;
  name: string;
}

export interface EngineOptions {
  runtime: ContainerRuntime;
  paths: EnginePaths;
  images?: FsImageStore;
  /** Named volumes; without one, volume endpoints and named Binds answer as if none exist. */
  volumes?: VolumeStore;
  auth?: AuthStore;
  storage?: ContainerStorage;
  settings: DaemonSettings;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;
}

export interface RestartHooks {
  /** A start through the API (resets the policy's backoff). */
  onManualStart?(id: string): void;
  /** Drop a pending policy restart. */
  cancel?(id: string): void;
  /** The next exit is deliberate (stop, kill with the stop signal, rm -f): do not restart. */
  skipNext?(id: string): void;
  /** A policy restart is scheduled (Docker's "restarting" state). */
  pending?(id: string): boolean;
}

export interface ExitInfo {
  exitCode: number;
  oomKilled: boolean;
}

const RUNTIME_EVENTS: ContainerEventName[] = [
  'create',
  'start',
  'die',
  'stop',
  'kill',
  'pause',
  'unpause',
  'destroy',
  'oom',
  'update',
];

const ADJECTIVES = [
  'brave',
  'calm',
  'eager',
  'fancy',
  'gentle',
  'happy',
  'jolly',
  'keen',
  'lucid',
  'merry',
  'nifty',
  'proud',
  'quirky',
  'sharp',
  'tender',
  'vivid',
  'wise',
  'zen',
];
const NAMES = [
  'archimedes',
  'bohr',
  'curie',
  'darwin',
  'euler',
  'fermi',
  'galileo',
  'hopper',
  'kepler',
  'lovelace',
  'noether',
  'pascal',
  'ritchie',
  'turing',
  'wozniak',
];

export class Engine {
  readonly runtime: ContainerRuntime;
  readonly paths: EnginePaths;
  readonly images: FsImageStore | undefined;
  readonly volumes: VolumeStore | undefined;
  readonly auth: AuthStore | undefined;
  readonly storage: ContainerStorage;
  readonly settings: DaemonSettings;
  readonly events = new EventBus();
  readonly execs = new Map<string, ExecInstance>();
  readonly startedAt = Date.now();
  readonly log: (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;
  meta!: MetaStore;
  /** Filled by the daemon's restart manager: API actions that change what a restart policy does. */
  readonly restartHooks: RestartHooks = {};
  /** Last exit per container (die), for wait?condition=removed after the record is gone. */
  private readonly lastExit = new Map<string, ExitInfo>();
  /** Attributes of known containers (destroy events come after the record is gone). */
  private readonly attrs = new Map<string, Record<string, string>>();
  /** Names being created right now (reserved before the runtime has the record). */
  private readonly reserved = new Set<string>();
  private readonly listeners: Array<() => void> = [];

  private constructor(opts: EngineOptions) {
    this.runtime = opts.runtime;
    this.paths = opts.paths;
    this.images = opts.images;
    this.volumes = opts.volumes;
    this.auth = opts.auth;
    this.storage = opts.storage ?? createOverlayStorage();
    this.settings = opts.settings;
    this.log = opts.log ?? (() => {});
  }

  static async open(opts: EngineOptions): Promise<Engine> {
    const e = new Engine(opts);
    e.meta = await MetaStore.open(
      opts.paths.dataRoot,
      opts.runtime.list().map((r) => r.id),
    );
    for (const rec of opts.runtime.list()) {
      if (!e.meta.get(rec.id)) {
        await e.meta.set(rec.id, { name: rec.name, imageId: '', restartCount: 0, manualStop: false });
      }
    }
    for (const name of RUNTIME_EVENTS) {
      const fn = (ev: ContainerEvent): void => e.onRuntimeEvent(name, ev);
      opts.runtime.on(name, fn);
      e.listeners.push(() => opts.runtime.off(name, fn));
    }
    return e;
  }

  dispose(): void {
    for (const l of this.listeners) l();
    this.listeners.length = 0;
  }

  private onRuntimeEvent(name: ContainerEventName, ev: ContainerEvent): void {
    if (name === 'die') {
      this.lastExit.set(ev.id, {
        exitCode: Number(ev.attributes?.exitCode ?? 0),
        oomKilled: this.runtime.has(ev.id) ? this.runtime.inspect(ev.id).state.oomKilled : false,
      });
    }
    const attrs = { ...this.attributes(ev.id), ...(ev.attributes ?? {}) };
    this.events.publish('container', name, ev.id, attrs);
    if (name === 'destroy') {
      this.attrs.delete(ev.id);
      this.meta
        .delete(ev.id)
        .catch((err: unknown) => this.log('warn', `forgetting ${ev.id}: ${String(err)}`));
      setTimeout(() => this.lastExit.delete(ev.id), 60_000).unref();
    }
  }

  /** Event attributes: image, name and the container's labels. */
  attributes(id: string): Record<string, string> {
    if (this.runtime.has(id)) {
      const rec = this.runtime.inspect(id);
      const a: Record<string, string> = {
        ...(rec.config.Labels ?? {}),
        image: rec.config.Image ?? '',
        name: this.nameOf(rec),
      };
      this.attrs.set(id, a);
      return a;
    }
    return this.attrs.get(id) ?? {};
  }

  lastExitOf(id: string): ExitInfo | undefined {
    return this.lastExit.get(id);
  }

  // ---- names and lookup ------------------------------------------------

  nameOf(rec: Pick<ContainerRecord, 'id' | 'name'>): string {
    return this.meta.get(rec.id)?.name ?? rec.name;
  }

  metaOf(id: string): ContainerMeta {
    return this.meta.get(id) ?? { name: id.slice(0, 12), imageId: '', restartCount: 0, manualStop: false };
  }

  /** Full id, name (with or without "/"), or a unique id prefix. 404 otherwise. */
  resolve(ref: string): ContainerRecord {
    const r = ref.startsWith('/') ? ref.slice(1) : ref;
    if (this.runtime.has(r)) return this.runtime.inspect(r);
    const byName = this.byName(r);
    if (byName) return byName;
    if (/^[a-f0-9]+$/.test(r) && r.length > 0) {
      const hits = this.runtime.filter((c) => c.id.startsWith(r));
      if (hits.length === 1 && hits[0]) return hits[0];
      if (hits.length > 1) throw notFound(`multiple IDs found with provided prefix: ${r}`);
    }
    throw notFound(`No such container: ${ref}`);
  }

  /** The container holding `name`, if any. */
  byName(name: string): ContainerRecord | undefined {
    return this.runtime.filter((c) => this.nameOf(c) === name)[0];
  }

  /** Reserves a name for a container being created (409 with Docker's message when taken). */
  reserveName(name: string | undefined): { name: string; release(): void } {
    let n = name;
    if (n === undefined) {
      for (let i = 0; ; i++) {
        const a = ADJECTIVES[randomBytes(1)[0]! % ADJECTIVES.length];
        const b = NAMES[randomBytes(1)[0]! % NAMES.length];
        n = i < 10 ? `${a}_${b}` : `${a}_${b}${i}`;
        if (!this.byName(n) && !this.reserved.has(n)) break;
      }
    } else {
      const holder = this.byName(n);
      if (holder || this.reserved.has(n)) {
        throw conflict(
          `Conflict. The container name "/${n}" is already in use by container "${holder?.id ?? ''}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
    }
    const taken = n;
    this.reserved.add(taken);
    return { name: taken, release: () => this.reserved.delete(taken) };
  }

  // ---- filesystem --------------------------------------------------------

  /** The overlay record of a container made from image layers, or undefined for a plain dir rootfs. */
  async rootfsOf(rec: ContainerRecord): Promise<ContainerRootfs | undefined> {
    if (!('layers' in rec.rootfs)) return undefined;
    try {
      return await this.storage.open(containerPaths.dataDir(this.paths, rec.id));
    } catch {
      return undefined;
    }
  }

  /**
   * Runs fn with the container's root mounted (created or exited containers
   * are mounted for the duration; a running one already is).
   */
  async withRootfs<T>(rec: ContainerRecord, fn: (root: string) => Promise<T>): Promise<T> {
    if ('dir' in rec.rootfs) return fn(rec.rootfs.dir);
    const rootfs = await this.rootfsOf(rec);
    if (!rootfs) throw notFound(`No such container: ${rec.id}`);
    const wasMounted = await this.storage.isMounted(rootfs);
    const root = await this.storage.mount(rootfs);
    try {
      return await fn(root);
    } finally {
      const now = this.runtime.has(rec.id) ? this.runtime.inspect(rec.id).state.status : 'removing';
      if (!wasMounted && now !== 'running' && now !== 'paused' && now !== 'created') {
        await this.storage.unmount(rootfs).catch(() => {});
      }
    }
  }
}

// The one bridge contract between the renderer and the process that owns the
// engine connection (Electron main, or the `wharf serve` web server). Three
// maps, typed in one place: invokes (request -> reply), events (main ->
// renderer, batched) and streams (one port/socket per session, batched, with
// credit-based back-pressure). Payload types are plain data (structured-clone
// and JSON safe; terminal bytes are Uint8Array).
import type {
  ContainerSummary,
  ContainerDetail,
  HostInfo,
  ImageSummary,
  ImageHistoryItem,
  ImageLayers,
  RunSpec,
  ResourceSpec,
  CgroupValues,
  UnderTheHood,
  TopResult,
  FsChange,
  EngineEvent,
  EndpointInfo,
  EndpointInput,
  LogLine,
  StatsSample,
  PullProgress,
  VolumeSummary,
  VolumeCreateInput,
  RegistrySettings,
  RegistryLogins,
  RegistryLoginInput,
} from './types.js';

export * from './types.js';

/** Request/reply calls. Arguments are the parameter list; the reply is the return type. */
export interface Invoke {
  'system/info': () => HostInfo;
  'endpoints/list': () => EndpointInfo[];
  'endpoints/add': (input: EndpointInput) => EndpointInfo;
  'endpoints/remove': (id: string) => void;
  'endpoints/select': (id: string) => EndpointInfo;
  'containers/list': () => ContainerSummary[];
  /** Summaries of just these containers (to patch the store after events). */
  'containers/summaries': (ids: string[]) => ContainerSummary[];
  'containers/inspect': (id: string) => ContainerDetail;
  /** Creates and starts; `detail` is the started container, so its view needs no extra round trip. */
  'containers/run': (spec: RunSpec) => { id: string; warnings: string[]; detail?: ContainerDetail };
  'containers/start': (id: string) => void;
  'containers/stop': (id: string) => void;
  'containers/restart': (id: string) => void;
  'containers/pause': (id: string) => void;
  'containers/unpause': (id: string) => void;
  'containers/remove': (id: string, force: boolean) => void;
  'containers/update': (id: string, resources: ResourceSpec) => { warnings: string[] };
  'containers/top': (id: string) => TopResult;
  'containers/changes': (id: string) => FsChange[];
  /** The limit files of the container's cgroup (embedded/local engines only). */
  'containers/cgroup': (id: string) => CgroupValues;
  'containers/under-the-hood': (id: string) => UnderTheHood;
  'images/list': () => ImageSummary[];
  'images/remove': (ref: string, force: boolean) => void;
  'images/tag': (ref: string, repo: string, tag: string) => void;
  'images/history': (ref: string) => ImageHistoryItem[];
  'images/layers': (ref: string) => ImageLayers;
  /** Volumes with the containers using each (and sizes where cheap). */
  'volumes/list': () => VolumeSummary[];
  'volumes/create': (input: VolumeCreateInput) => VolumeSummary;
  'volumes/remove': (name: string, force: boolean) => void;
  /** Insecure registries, mirrors and data root as the engine reports them. */
  'registries/settings': () => RegistrySettings;
  /** Registries with stored credentials (server + username only; embedded engine). */
  'registries/logins': () => RegistryLogins;
  /** POST /auth: the engine checks the credentials against the registry and stores them. */
  'registries/login': (input: RegistryLoginInput) => { status: string };
  /** Forgets the stored credentials for a registry (embedded engine). */
  'registries/logout': (server: string) => void;
}

export type InvokeChannel = keyof Invoke;
export type InvokeArgs<K extends InvokeChannel> = Parameters<Invoke[K]>;
export type InvokeResult<K extends InvokeChannel> = ReturnType<Invoke[K]>;

/** Main -> renderer notifications. Each delivery is a batch. */
export interface Events {
  'engine/events': EngineEvent[];
  'endpoint/changed': EndpointInfo;
  /**
   * Engine events may have been missed (the engine's event stream or the
   * bridge's connection dropped, or a snapshot was older than the
   * subscription): reload the lists, keeping what is shown until then. The
   * endpoint is the same one.
   */
  'engine/resync': { reason: string };
}
export type EventChannel = keyof Events;

/**
 * Web mode: the page's HTML carries the first container list as
 * `<script type="application/json" id={SNAPSHOT_ELEMENT_ID}>` holding a
 * ContainerSnapshot, so the first rows need no round trip after the bundle
 * runs. The events socket's first message is `{"hello":{"gen":N}}`, the
 * backend's generation when the subscription began; a snapshot with another
 * gen may have missed events and is reloaded.
 */
export const SNAPSHOT_ELEMENT_ID = 'wharf-snapshot';
/**
 * Web mode: the renderer mirrors an explicit theme choice ("light" or
 * "dark"; none for "follow the system") into this cookie, so the server
 * can paint the first page in it.
 */
export const THEME_COOKIE = 'wharf_theme';

/** Long-lived sessions: args open it, Down flows to the renderer, Up flows back. */
export interface Streams {
  logs: {
    args: { id: string; tail: number; timestamps: boolean; follow: boolean };
    down: LogLine;
    up: never;
  };
  terminal: {
    args: { id: string; cols: number; rows: number };
    down: Uint8Array;
    up: { type: 'input'; data: string } | { type: 'resize'; cols: number; rows: number };
  };
  stats: { args: { id: string }; down: StatsSample; up: never };
  pull: { args: { image: string }; down: PullProgress; up: never };
}
export type StreamKind = keyof Streams;
export type StreamArgs<K extends StreamKind> = Streams[K]['args'];
export type StreamDown<K extends StreamKind> = Streams[K]['down'];
export type StreamUp<K extends StreamKind> = Streams[K]['up'];

export type Unsubscribe = () => void;

/**
 * Flow control: the producer may have at most STREAM_WINDOW unacknowledged
 * batches in flight; the consumer acks each batch once it has handled it
 * (for a terminal: when xterm's write callback fires). Past the window the
 * producer pauses its source.
 */
export const STREAM_WINDOW = 8;
/** Producers gather messages for at most this long before sending a batch. */
export const STREAM_BATCH_MS = 16;

/** One open stream, as the renderer sees it. */
export interface StreamHandle<K extends StreamKind> {
  /** Batches of messages; call ack() once a batch is handled. */
  onData(cb: (batch: StreamDown<K>[]) => void): Unsubscribe;
  /** The stream ended (error is a user-facing message when it failed). */
  onEnd(cb: (error?: string) => void): Unsubscribe;
  send(msg: StreamUp<K>): void;
  ack(): void;
  close(): void;
}

/** What the renderer gets: implemented by the Electron preload and by the web client. */
export interface Bridge {
  readonly kind: 'electron' | 'web';
  invoke<K extends InvokeChannel>(channel: K, ...args: InvokeArgs<K>): Promise<InvokeResult<K>>;
  on<K extends EventChannel>(channel: K, cb: (payload: Events[K]) => void): Unsubscribe;
  open<K extends StreamKind>(kind: K, args: StreamArgs<K>): StreamHandle<K>;
}

const INVOKE_CHANNELS: Record<InvokeChannel, true> = {
  'system/info': true,
  'endpoints/list': true,
  'endpoints/add': true,
  'endpoints/remove': true,
  'endpoints/select': true,
  'containers/list': true,
  'containers/summaries': true,
  'containers/inspect': true,
  'containers/run': true,
  'containers/start': true,
  'containers/stop': true,
  'containers/restart': true,
  'containers/pause': true,
  'containers/unpause': true,
  'containers/remove': true,
  'containers/update': true,
  'containers/top': true,
  'containers/changes': true,
  'containers/cgroup': true,
  'containers/under-the-hood': true,
  'images/list': true,
  'images/remove': true,
  'images/tag': true,
  'images/history': true,
  'images/layers': true,
  'volumes/list': true,
  'volumes/create': true,
  'volumes/remove': true,
  'registries/settings': true,
  'registries/logins': true,
  'registries/login': true,
  'registries/logout': true,
};
const EVENT_CHANNELS: Record<EventChannel, true> = {
  'engine/events': true,
  'endpoint/changed': true,
  'engine/resync': true,
};
/** Every event channel (what a transport forwards). */
export const EVENT_CHANNEL_LIST = Object.keys(EVENT_CHANNELS) as EventChannel[];
const STREAM_KINDS: Record<StreamKind, true> = { logs: true, terminal: true, stats: true, pull: true };

export function isInvokeChannel(x: unknown): x is InvokeChannel {
  return typeof x === 'string' && Object.hasOwn(INVOKE_CHANNELS, x);
}
export function isEventChannel(x: unknown): x is EventChannel {
  return typeof x === 'string' && Object.hasOwn(EVENT_CHANNELS, x);
}
export function isStreamKind(x: unknown): x is StreamKind {
  return typeof x === 'string' && Object.hasOwn(STREAM_KINDS, x);
}

/** Errors crossing the bridge: a message a person can read, plus the engine's status code. */
export interface BridgeError {
  message: string;
  status?: number;
}

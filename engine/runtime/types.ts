// Data types of the container lifecycle service: the Docker-shaped input it
// takes, the record it persists, and the events it emits. Field names follow
// the Docker Engine API (ContainerConfig / HostConfig) so api/ can pass them
// through unchanged.

import type { ContainerConfig, HostConfig, ImageRuntimeConfig } from './spec/docker-types.js';

export type { ContainerConfig, HostConfig, Resources } from './spec/docker-types.js';

/** Where the container's root filesystem comes from (images are wired in a later issue). */
export type RootfsSource =
  /** Image layer diff dirs, base layer first; an overlay with an upper dir is mounted over them. */
  | { layers: string[] }
  /** A ready directory used as is (no copy-on-write). */
  | { dir: string };

export interface CreateContainerInput {
  /** 64 hex digits; generated when omitted. */
  id?: string;
  name?: string;
  config: ContainerConfig;
  hostConfig?: HostConfig;
  rootfs: RootfsSource;
  /** The image config's defaults (Env, Cmd, Entrypoint, WorkingDir, User, StopSignal). */
  image?: ImageRuntimeConfig;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'exited' | 'removing' | 'dead';

export interface ContainerState {
  status: ContainerStatus;
  /** Host pid of the container's init while it runs, else 0. */
  pid: number;
  exitCode: number;
  /** Signal number that ended the container, or null. */
  signal: number | null;
  oomKilled: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  error: string;
}

/** What <data-root>/containers/<id>/config.v2.json holds. */
export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  /** The config after merging the image config (what inspect shows as Config). */
  config: ContainerConfig;
  hostConfig: HostConfig;
  rootfs: RootfsSource;
  state: ContainerState;
  logPath: string;
}

export interface ExitStatus {
  exitCode: number;
  oomKilled: boolean;
  /** Signal number when killed by a signal, else null. */
  signal: number | null;
  finishedAt?: string;
}

export interface ExecOptions {
  cmd: string[];
  env?: string[];
  user?: string;
  workingDir?: string;
  tty?: boolean;
  stdin?: boolean;
  privileged?: boolean;
}

/** Payload of every runtime event: Docker turns these into /events messages. */
export interface ContainerEvent {
  id: string;
  /** Extra attributes (exitCode for die, signal for kill, ...). */
  attributes?: Record<string, string>;
}

export type ContainerEventName =
  | 'create'
  | 'start'
  | 'die'
  | 'stop'
  | 'kill'
  | 'pause'
  | 'unpause'
  | 'destroy'
  | 'oom'
  | 'update'
  | 'exec_create'
  | 'exec_die';

export type RuntimeEvents = { [K in ContainerEventName]: [ContainerEvent] };

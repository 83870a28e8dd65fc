// Exec instances as Docker has them: created by POST /containers/{id}/exec,
// started once by POST /exec/{id}/start, inspectable until the container goes.
import type { AttachClient, ExecHandle } from '../runtime/index.js';

export interface ExecConfig {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  Cmd: string[];
  Env?: string[] | null;
  User?: string;
  WorkingDir?: string;
  Privileged?: boolean;
  DetachKeys?: string;
  ConsoleSize?: [number, number] | null;
}

export interface ExecInstance {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  handle?: ExecHandle;
  /** The attach connection while a client streams the exec (for resize). */
  client?: AttachClient;
  /** A resize that arrived before the process had a terminal. */
  pendingSize?: [number, number];
}

export function execInspect(x: ExecInstance): Record<string, unknown> {
  return {
    ID: x.id,
    Running: x.running,
    ExitCode: x.exitCode,
    ProcessConfig: {
      tty: x.config.Tty === true,
      entrypoint: x.config.Cmd[0] ?? '',
      arguments: x.config.Cmd.slice(1),
      privileged: x.config.Privileged === true,
      user: x.config.User ?? '',
    },
    OpenStdin: x.config.AttachStdin === true,
    OpenStderr: x.config.AttachStderr === true,
    OpenStdout: x.config.AttachStdout === true,
    CanRemove: false,
    ContainerID: x.containerId,
    DetachKeys: x.config.DetachKeys ?? '',
    Pid: x.pid,
  };
}

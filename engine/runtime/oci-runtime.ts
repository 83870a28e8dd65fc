// Thin driver for an OCI runtime's command line (wharf-runtime, or runc /
// crun, which share the spelling). Every call runs `<runtime> --root <root>
// VERB …` and turns a non-zero exit into WharfError('RUNTIME_FAILED') whose
// message is the runtime's own one-line error.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { wharfError } from '../errors.js';

export interface OciState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
}

export class OciRuntime {
  constructor(
    readonly binary: string,
    readonly root: string,
  ) {}

  run(args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        this.binary,
        ['--root', this.root, ...args],
        { maxBuffer: 16 << 20, timeout: 60_000 },
        (err, stdout, stderr) => {
          if (err) {
            const why = stderr.trim().split('\n').filter(Boolean).pop() ?? err.message;
            reject(wharfError('RUNTIME_FAILED', `${args[0] ?? ''}: ${why}`, err));
          } else {
            resolve(stdout);
          }
        },
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  async start(id: string): Promise<void> {
    await this.run(['start', id]);
  }

  async kill(id: string, signal: string, all = false): Promise<void> {
    await this.run(['kill', ...(all ? ['--all'] : []), id, signal]);
  }

  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }

  /** Writes `resources` (an OCI linux.resources object) to `file` and applies it. */
  async update(id: string, resources: object, file: string): Promise<void> {
    await writeFile(file, JSON.stringify(resources), { mode: 0o600 });
    await this.run(['update', '--resources', file, id]);
  }

  async delete(id: string, force = false): Promise<void> {
    await this.run(['delete', ...(force ? ['--force'] : []), id]);
  }

  /** The runtime's view of the container, or undefined when it does not know it. */
  async state(id: string): Promise<OciState | undefined> {
    try {
      return JSON.parse(await this.run(['state', id])) as OciState;
    } catch {
      return undefined;
    }
  }
}

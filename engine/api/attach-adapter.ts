// Connects to a shim's attach socket whatever the length of its path.
// sun_path holds 107 bytes; an exec session's socket
// (<exec-root>/containers/<64 hex>/exec/<32 hex>/attach.sock) is longer than
// that even under /run/wharf. The directory is opened and the socket reached
// through /proc/self/fd/N/, which the kernel resolves like any path.
import { closeSync, openSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { AttachClient } from '../runtime/index.js';

const SUN_PATH_MAX = 107;

export async function connectAttach(path: string): Promise<AttachClient> {
  if (Buffer.byteLength(path) <= SUN_PATH_MAX) return AttachClient.connect(path);
  const fd = openSync(dirname(path), 'r');
  try {
    return await AttachClient.connect(`/proc/self/fd/${fd}/${basename(path)}`);
  } finally {
    closeSync(fd);
  }
}

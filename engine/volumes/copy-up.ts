// Docker's copy-up: a new (empty) volume mounted over a path that holds
// content in the image starts with a copy of that content. The source path is
// resolved inside the container's root without following any symlink (a
// symlink in an image may point anywhere on the host once read from outside
// the container); where a component is a symlink, nothing is copied. `cp -a`
// copies symlinks as symlinks and keeps owners, modes and times.
import { execFile } from 'node:child_process';
import { lstat, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type CopyUpResult = 'copied' | 'not-empty' | 'no-source' | 'unsafe-source';

/** Copies <root>/<destination> into dataDir when dataDir is empty. */
export async function copyUp(root: string, destination: string, dataDir: string): Promise<CopyUpResult> {
  if ((await readdir(dataDir)).length > 0) return 'not-empty';
  const parts = posix.normalize(destination).split('/').filter(Boolean);
  let path = root;
  for (const part of parts) {
    if (part === '..') return 'unsafe-source';
    path = join(path, part);
    let st;
    try {
      st = await lstat(path);
    } catch {
      return 'no-source';
    }
    if (st.isSymbolicLink()) return 'unsafe-source';
    if (!st.isDirectory()) return 'no-source';
  }
  if (parts.length === 0) return 'unsafe-source';
  if ((await readdir(path)).length === 0) return 'no-source';
  await run('cp', ['-a', '--no-dereference', '--', `${path}/.`, dataDir]);
  return 'copied';
}

// Crash-safe file writes (DESIGN.md: temp file, fsync, rename, fsync the dir).
// `durable: false` keeps the temp-file + rename (a crashed process never
// leaves a torn file) but skips both fsyncs: for state that recovery
// reconciles anyway (a container's running/exited status), where losing the
// latest version to a power cut is harmless and an fsync per transition is
// what dominates `docker run` on a real disk.
import { open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** Replaces `path` with `data` so a crash leaves either the old or the new content. */
export async function writeFileAtomic(
  path: string,
  data: string | Buffer,
  mode = 0o600,
  opts: { durable?: boolean } = {},
): Promise<void> {
  const durable = opts.durable !== false;
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  if (!durable) return;
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

export async function writeJsonAtomic(
  path: string,
  value: unknown,
  mode = 0o600,
  opts: { durable?: boolean } = {},
): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n', mode, opts);
}

// Tags and digest references: <data-root>/repositories.json, in Docker's own
// shape ({"Repositories": {repo: {ref: imageID}}}), keyed by normalized names:
//
//   "docker.io/library/busybox": {
//     "docker.io/library/busybox:latest": "sha256:<image id>",
//     "docker.io/library/busybox@sha256:<manifest digest>": "sha256:<image id>"
//   }
//
// Callers serialize writes (FsImageStore holds its lock); every change is
// written atomically before the call returns.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, wharfError } from '../errors.js';
import { writeJsonAtomic } from '../runtime/atomic-file.js';
import { formatReference, parseReference, repoName, type Reference } from '../registry/reference.js';
import type { Digest } from './index.js';

interface RepositoriesFile {
  Repositories: Record<string, Record<string, Digest>>;
}

/** A reference fit for the store: a tag or a digest, never both (the tag is dropped). */
export function storableReference(input: string): Reference {
  const ref = parseReference(input);
  if (ref.digest !== undefined) return { domain: ref.domain, path: ref.path, digest: ref.digest };
  return ref;
}

export class TagStore {
  private readonly file: string;
  /** normalized reference -> image ID */
  private readonly refs = new Map<string, Digest>();

  private constructor(dataRoot: string) {
    this.file = join(dataRoot, 'repositories.json');
  }

  static async open(dataRoot: string): Promise<TagStore> {
    const store = new TagStore(dataRoot);
    let raw: string;
    try {
      raw = await readFile(store.file, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return store;
      throw err;
    }
    let doc: RepositoriesFile;
    try {
      doc = JSON.parse(raw) as RepositoriesFile;
    } catch (err) {
      throw wharfError('STORE_CORRUPT', `${store.file} is not valid JSON`, err);
    }
    for (const repo of Object.values(doc.Repositories ?? {})) {
      for (const [ref, id] of Object.entries(repo)) store.refs.set(ref, id);
    }
    return store;
  }

  /** The image a normalized reference points at. */
  lookup(ref: Reference): Digest | undefined {
    return this.refs.get(formatReference(ref));
  }

  /** Every reference to `id`, parsed, in Docker's order (lexical by normalized string). */
  referencesTo(id: Digest): Reference[] {
    const keys: string[] = [];
    for (const [ref, target] of this.refs) if (target === id) keys.push(ref);
    return keys.sort().map((ref) => parseReference(ref, { defaultTag: false }));
  }

  /** Points `ref` at `id`, moving it from any other image. */
  async set(ref: Reference, id: Digest): Promise<void> {
    const key = formatReference(ref);
    if (this.refs.get(key) === id) return;
    this.refs.set(key, id);
    await this.save();
  }

  /** Removes `ref`; false when it was not there. */
  async delete(ref: Reference): Promise<boolean> {
    if (!this.refs.delete(formatReference(ref))) return false;
    await this.save();
    return true;
  }

  /** Drops references to images that no longer exist (a crash between two writes). */
  async prune(exists: (id: Digest) => boolean): Promise<void> {
    let changed = false;
    for (const [ref, id] of this.refs) {
      if (!exists(id)) {
        this.refs.delete(ref);
        changed = true;
      }
    }
    if (changed) await this.save();
  }

  private async save(): Promise<void> {
    const doc: RepositoriesFile = { Repositories: {} };
    const sorted = [...this.refs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [ref, id] of sorted) {
      const repo = repoName(parseReference(ref, { defaultTag: false }));
      (doc.Repositories[repo] ??= {})[ref] = id;
    }
    await writeJsonAtomic(this.file, doc, 0o600);
  }
}

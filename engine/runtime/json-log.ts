// Reader for the shim's json-file log (Docker's format, native/README.md):
// one {"log","stream","time"} object per line.
import { readFile } from 'node:fs/promises';
import { isErrno } from '../errors.js';

export interface LogEntry {
  log: string;
  stream: 'stdout' | 'stderr';
  time: string;
}

export async function readJsonLog(path: string): Promise<LogEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as LogEntry);
    } catch {
      // A torn last line while the shim is still writing.
    }
  }
  return out;
}

/** The log's text per stream, concatenated. */
export async function readLogText(path: string): Promise<{ stdout: string; stderr: string }> {
  const entries = await readJsonLog(path);
  return {
    stdout: entries
      .filter((e) => e.stream === 'stdout')
      .map((e) => e.log)
      .join(''),
    stderr: entries
      .filter((e) => e.stream === 'stderr')
      .map((e) => e.log)
      .join(''),
  };
}

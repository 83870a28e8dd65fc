// Query parameters the way Docker reads them (docker-api.md): booleans where
// "", 0, no, false and none are false in any case; filters as a JSON map
// (`{"label":{"a=b":true}}`, the CLI) or as lists (`{"label":["a=b"]}`).
import { badRequest } from './errors.js';

export function queryBool(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null) return dflt;
  return !['', '0', 'no', 'false', 'none'].includes(v.toLowerCase());
}

export function queryInt(q: URLSearchParams, name: string, dflt: number): number {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)}`);
  return Math.trunc(n);
}

export type Filters = Map<string, string[]>;

export function parseFilters(raw: string | null): Filters {
  const out: Filters = new Map();
  if (!raw) return out;
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw badRequest(`invalid filter: ${raw}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw badRequest(`invalid filter: ${raw}`);
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (Array.isArray(v)) out.set(k, v.map(String));
    else if (typeof v === 'object' && v !== null) out.set(k, Object.keys(v));
    else if (typeof v === 'string') out.set(k, [v]);
    else throw badRequest(`invalid filter '${k}'`);
  }
  return out;
}

/** Checks that only known filter keys are used (Docker: 400 "invalid filter 'x'"). */
export function checkFilterKeys(f: Filters, allowed: readonly string[]): void {
  for (const k of f.keys()) if (!allowed.includes(k)) throw badRequest(`invalid filter '${k}'`);
}

/** `label` filter: each entry "k" or "k=v" must match. */
export function matchLabels(
  wanted: string[] | undefined,
  labels: Record<string, string> | null | undefined,
): boolean {
  if (!wanted) return true;
  const l = labels ?? {};
  return wanted.every((w) => {
    const i = w.indexOf('=');
    if (i < 0) return w in l;
    return l[w.slice(0, i)] === w.slice(i + 1);
  });
}

/** Docker timestamps in since/until: unix seconds (with fraction), RFC3339, or a duration like 10m. */
export function parseTimestamp(v: string | null, now = Date.now()): number | undefined {
  if (v === null || v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const dur = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v);
  if (dur) {
    const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
    return now - Number(dur[1]) * (mult[dur[2] ?? 's'] ?? 1000);
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badRequest(`invalid timestamp: ${v}`);
  return t;
}

// Image references, normalized as Docker does (the distribution reference
// grammar plus Docker's defaults):
//
//   busybox                     -> docker.io/library/busybox:latest
//   user/app:1.0                -> docker.io/user/app:1.0
//   localhost:5000/ns/app       -> localhost:5000/ns/app:latest
//   app@sha256:<hex>            -> docker.io/library/app@sha256:<hex>
//
// A name's first component is a registry host only when it contains "." or
// ":" or is "localhost"; otherwise the image lives on Docker Hub.
import { wharfError } from '../errors.js';
import type { Digest } from '../images/index.js';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|${ipv6})`;
const domain = `${host}(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const PATH_RE = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const DOMAIN_RE = new RegExp(`^${domain}$`);
const TAG_RE = new RegExp(`^${tag}$`);
const DIGEST_RE = new RegExp(`^${digest}$`);
const ID_RE = /^[a-f0-9]{64}$/;

export interface Reference {
  /** Registry host[:port], "docker.io" for Docker Hub. */
  readonly domain: string;
  /** Repository path on the registry ("library/busybox"). */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

/** "docker.io/library/busybox" */
export function repoName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full normalized string: name, then :tag, then @digest. */
export function formatReference(ref: Reference): string {
  return `${repoName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** Docker's short form for display: "busybox:latest", "user/app:1", "localhost:5000/x:y". */
export function familiarString(ref: Reference): string {
  let name = repoName(ref);
  if (ref.domain === DEFAULT_DOMAIN) {
    name = ref.path.startsWith(OFFICIAL_REPO_PREFIX) ? ref.path.slice(OFFICIAL_REPO_PREFIX.length) : ref.path;
  }
  return `${name}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** Docker's short repository name ("busybox", "user/app", "localhost:5000/x"). */
export function familiarName(ref: Reference): string {
  return familiarString({ domain: ref.domain, path: ref.path });
}

function invalid(detail = ''): never {
  throw wharfError('INVALID_REFERENCE', detail);
}

/**
 * Parses and normalizes a reference the way `docker pull` does; the tag
 * defaults to "latest" unless a digest is given (`defaultTag: false` keeps it unset).
 */
export function parseReference(input: string, opts: { defaultTag?: boolean } = {}): Reference {
  if (ID_RE.test(input)) {
    invalid(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  if (input.length === 0) invalid();

  // Split off @digest, then :tag (a ":" after the last "/" is a tag, before it a port).
  let rest = input;
  let dgst: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    dgst = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(dgst)) invalid();
  }
  let tg: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tg = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tg)) invalid();
  }
  if (rest.length === 0) invalid();

  // Docker's domain split.
  let dom = DEFAULT_DOMAIN;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (
      first.includes('.') ||
      first.includes(':') ||
      first === 'localhost' ||
      first !== first.toLowerCase()
    ) {
      dom = first;
      path = rest.slice(slash + 1);
    }
  }
  if (dom === LEGACY_DEFAULT_DOMAIN) dom = DEFAULT_DOMAIN;
  if (!DOMAIN_RE.test(dom)) invalid();
  if (!PATH_RE.test(path)) {
    if (PATH_RE.test(path.toLowerCase())) {
      const shown = dom === DEFAULT_DOMAIN && !path.includes('/') ? OFFICIAL_REPO_PREFIX + path : path;
      invalid(`repository name (${shown}) must be lowercase`);
    }
    invalid();
  }
  if (dom === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path;
  if (`${dom}/${path}`.length > NAME_TOTAL_LENGTH_MAX) {
    invalid(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }

  if (dgst !== undefined && !/^sha256:[a-f0-9]{64}$/.test(dgst)) {
    throw wharfError('INVALID_ARGUMENT', `unsupported digest ${dgst}: only sha256 is supported`);
  }
  if (tg === undefined && dgst === undefined && opts.defaultTag !== false) tg = 'latest';
  return {
    domain: dom,
    path,
    ...(tg !== undefined ? { tag: tg } : {}),
    ...(dgst !== undefined ? { digest: dgst as Digest } : {}),
  };
}

/** Normalized string form of `input` ("busybox" -> "docker.io/library/busybox:latest"). */
export function normalizeReference(input: string): string {
  return formatReference(parseReference(input));
}

// Registry: the OCI distribution client Wharf pulls and pushes with.
//
//   reference.ts   names normalized as Docker does (busybox -> docker.io/library/busybox:latest)
//   manifest.ts    schema2 / OCI manifests and indexes, strict parsing, platform choice
//   auth.ts        AuthStore (credentials per registry, auth.json under the data root), challenges
//   client.ts      HTTP (undici): TLS policy, insecure registries, mirrors, tokens, redirects
//   repository.ts  the distribution API calls on one repository
//   pull.ts        pull: parallel verified downloads straight into the layer store
//   push.ts        push: HEAD / mount / upload, config, manifest
//   progress.ts    Docker's JSON progress messages
export {
  FileAuthStore,
  MemoryAuthStore,
  normalizeRegistryKey,
  type AuthStore,
  type Credentials,
} from './auth.js';
export { RegistryClient, type RegistryClientOptions } from './client.js';
export { hostPlatform, MediaType, type Platform } from './manifest.js';
export { progressStream, type ProgressEvent, type ProgressListener } from './progress.js';
export {
  pull,
  DEFAULT_CONCURRENT_DOWNLOADS,
  type PullDeps,
  type PullOptions,
  type PullResult,
} from './pull.js';
export {
  push,
  DEFAULT_CONCURRENT_UPLOADS,
  type PushDeps,
  type PushOptions,
  type PushResult,
} from './push.js';
export {
  familiarName,
  familiarString,
  formatReference,
  normalizeReference,
  parseReference,
  repoName,
  type Reference,
} from './reference.js';

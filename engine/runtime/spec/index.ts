// Docker container config -> OCI runtime spec (config.json).
//
// buildOciSpec() is the one entry point: it takes the Docker Engine API
// ContainerConfig/HostConfig as the client sent them, the image's defaults and
// the prepared rootfs, and returns the config.json object with Docker's
// semantics and default security (capabilities, seccomp, masked paths,
// devices). It reads the rootfs (/etc/passwd, /etc/group) and stats block
// devices, so it is async; it never writes anything.
//
// Errors: WharfError('INVALID_CONFIG') for input Docker would reject (unknown
// user, bad Binds entry, unknown capability, bad ulimit...).

export type * from './docker-types.js';
export type * from './oci-types.js';
export { buildOciSpec, mergeImageConfig, type BuildOciSpecOptions } from './build.js';
export { compileSeccomp, defaultSeccompRules, type SeccompProfile, type SeccompRule } from './seccomp.js';
export type { VolumeResolver } from './mounts.js';
export {
  DEFAULT_CAPABILITIES,
  ALL_CAPABILITIES,
  normalizeCapability,
  resolveCapabilities,
} from './capabilities.js';
export { defaultSeccompProfile } from './seccomp.js';
export { resolveUser, type ResolvedUser } from './user.js';
export { buildResources, memorySwapFor } from './resources.js';
export { parseSecurityOpt, type SecurityOptions } from './security-opt.js';
export { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, DEFAULT_DEVICES } from './defaults.js';

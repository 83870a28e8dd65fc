// The engine's one catalogue of errors (STYLE.md, "Errors"): a stable code, the
// message a user reads, and the HTTP status the Docker API answers with. Code
// branches on `err.code`, never on message text; context goes in `cause`.
// Only api/ turns `status` into a response.
//
// Add an entry here rather than throwing a bare Error from engine code.

export const ErrorCatalogue = {
  // generic
  INVALID_ARGUMENT: { status: 400, message: (what: string) => `invalid argument: ${what}` },
  INTERNAL: { status: 500, message: (what: string) => `internal error: ${what}` },
  // containers
  CONTAINER_NOT_FOUND: { status: 404, message: (id: string) => `No such container: ${id}` },
  CONTAINER_EXISTS: {
    status: 409,
    message: (id: string) => `Conflict. A container with id ${id} already exists.`,
  },
  CONTAINER_NOT_RUNNING: { status: 409, message: (id: string) => `Container ${id} is not running` },
  CONTAINER_RUNNING: {
    status: 409,
    message: (id: string) =>
      `cannot remove container "${id}": container is running: stop the container before removing or force remove`,
  },
  /** pause of a paused container: moby's errNotPaused wording. */
  CONTAINER_PAUSED: { status: 409, message: (id: string) => `Container ${id} is already paused` },
  CONTAINER_NOT_PAUSED: { status: 409, message: (id: string) => `Container ${id} is not paused` },
  CONTAINER_BUSY: {
    status: 409,
    message: (id: string) => `Container ${id} is busy with another operation; try again`,
  },
  INVALID_CONFIG: { status: 400, message: (what: string) => `invalid container configuration: ${what}` },
  // runtime and shim
  SHIM_FAILED: {
    status: 500,
    message: (what: string) => `the container monitor (wharf-shim) failed: ${what}`,
  },
  RUNTIME_FAILED: { status: 500, message: (what: string) => `OCI runtime error: ${what}` },
  BINARY_NOT_FOUND: {
    status: 500,
    message: (path: string) => `${path} not found; build it with \`npm run build:native\``,
  },
  CGROUP_NOT_FOUND: { status: 500, message: (what: string) => `container cgroup not found: ${what}` },
  ATTACH_FAILED: { status: 500, message: (what: string) => `attach failed: ${what}` },
  EXEC_NOT_FOUND: { status: 404, message: (id: string) => `No such exec instance: ${id}` },
  // storage
  ROOTFS_FAILED: {
    status: 500,
    message: (what: string) => `preparing the container filesystem failed: ${what}`,
  },
  STORE_CORRUPT: {
    status: 500,
    message: (what: string) => `the engine's store is damaged: ${what}; remove the entry or restore it`,
  },
  /** The argument is "expected sha256:… got sha256:…". */
  LAYER_DIGEST_MISMATCH: {
    status: 500,
    message: (what: string) => `layer digest mismatch: ${what}; the layer was not stored, retry the pull`,
  },
  /** A layer tar that is malformed, hostile or over a limit; the argument names the member. */
  LAYER_INVALID: {
    status: 500,
    message: (what: string) => `invalid layer: ${what}; nothing of it was stored`,
  },
  LAYER_NOT_FOUND: { status: 404, message: (id: string) => `layer not found: ${id}` },
  // images and registry
  INVALID_REFERENCE: {
    status: 400,
    message: (what: string) => `invalid reference format${what ? `: ${what}` : ''}`,
  },
  IMAGE_NOT_FOUND: { status: 404, message: (ref: string) => `No such image: ${ref}` },
  /** rmi conflicts; the argument is Docker's text after "conflict: " (docker-api.md). */
  IMAGE_CONFLICT: { status: 409, message: (what: string) => `conflict: ${what}` },
  ARCHIVE_INVALID: {
    status: 400,
    message: (what: string) => `invalid image archive: ${what}; nothing was loaded`,
  },
  LAYER_NOT_REPRODUCIBLE: {
    status: 500,
    message: (what: string) =>
      `cannot save layer ${what}: its original tar is not in the content store and the extracted content does not reproduce its diffID`,
  },
  MANIFEST_UNKNOWN: {
    status: 404,
    message: (ref: string) => `manifest for ${ref} not found: manifest unknown: manifest unknown`,
  },
  MANIFEST_INVALID: { status: 500, message: (what: string) => `invalid manifest: ${what}` },
  NO_MATCHING_PLATFORM: {
    status: 404,
    message: (what: string) => `no matching manifest for ${what} in the manifest list entries`,
  },
  DIGEST_MISMATCH: {
    status: 500,
    message: (what: string) =>
      `digest mismatch: ${what}; the registry or a proxy served corrupted content, retry the pull`,
  },
  REGISTRY_UNAUTHORIZED: {
    status: 401,
    message: (what: string) =>
      `${what}: authentication required or access denied; run \`docker login\` for this registry`,
  },
  VOLUME_NOT_FOUND: { status: 404, message: (name: string) => `get ${name}: no such volume` },
  /** arg: "<op> <name>: <reason>", Docker's wording (volume/service errors). */
  VOLUME_INVALID: { status: 400, message: (what: string) => what },
  VOLUME_IN_USE: { status: 409, message: (what: string) => what },
  REGISTRY_ERROR: { status: 500, message: (what: string) => `registry error: ${what}` },
  REGISTRY_UNREACHABLE: {
    status: 500,
    message: (what: string) => `cannot reach the registry: ${what}`,
  },
} as const satisfies Record<string, { status: number; message: (arg: string) => string }>;

export type ErrorCode = keyof typeof ErrorCatalogue;

export class WharfError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, arg: string, options?: { cause?: unknown }) {
    super(ErrorCatalogue[code].message(arg), options);
    this.name = 'WharfError';
    this.code = code;
    this.status = ErrorCatalogue[code].status;
  }
}

/** Shorthand: `throw wharfError('CONTAINER_NOT_FOUND', id)`. */
export function wharfError(code: ErrorCode, arg: string, cause?: unknown): WharfError {
  return new WharfError(code, arg, cause === undefined ? undefined : { cause });
}

export function isWharfError(err: unknown, code?: ErrorCode): err is WharfError {
  return err instanceof WharfError && (code === undefined || err.code === code);
}

/** True for an fs error with the given errno code (ENOENT, ESRCH, ...). */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

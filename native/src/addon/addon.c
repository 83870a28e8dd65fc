/* wharf_native.node: the syscalls the engine needs in-process that Node's fs
 * module lacks. N-API only, so one build serves Node and Electron. Every
 * call returns a Promise and runs on the libuv thread pool (job.h).
 * The typed wrapper is native/index.ts. */
#include <node_api.h>

#include "addon/mount.h"
#include "addon/node.h"
#include "addon/xattr.h"

static napi_value
Init (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    { "mount", NULL, wharf_js_mount, NULL, NULL, NULL, napi_enumerable, NULL },
    { "umount2", NULL, wharf_js_umount2, NULL, NULL, NULL, napi_enumerable, NULL },
    { "fsmount", NULL, wharf_js_fsmount, NULL, NULL, NULL, napi_enumerable, NULL },
    { "mknod", NULL, wharf_js_mknod, NULL, NULL, NULL, napi_enumerable, NULL },
    { "lsetxattr", NULL, wharf_js_lsetxattr, NULL, NULL, NULL, napi_enumerable, NULL },
    { "lgetxattr", NULL, wharf_js_lgetxattr, NULL, NULL, NULL, napi_enumerable, NULL },
    { "llistxattr", NULL, wharf_js_llistxattr, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  if (napi_define_properties (env, exports, sizeof (props) / sizeof (props[0]), props) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE (NODE_GYP_MODULE_NAME, Init)

/* JS: lsetxattr(path, name, value: Buffer|string, flags: ('XATTR_CREATE'|'XATTR_REPLACE')[]): Promise<void>
 *     lgetxattr(path, name): Promise<Buffer|null>   (null when the attribute is absent)
 *     llistxattr(path): Promise<string[]>
 * The l* forms never follow a final symlink. trusted.* needs CAP_SYS_ADMIN. */
#ifndef WHARF_ADDON_XATTR_H
#define WHARF_ADDON_XATTR_H

#include "addon/job.h"

napi_value wharf_js_lsetxattr (napi_env env, napi_callback_info info);
napi_value wharf_js_lgetxattr (napi_env env, napi_callback_info info);
napi_value wharf_js_llistxattr (napi_env env, napi_callback_info info);

#endif

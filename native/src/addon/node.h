/* JS: mknod(path, mode, major, minor): Promise<void>
 * mode includes the file type (fs.constants.S_IFCHR | 0o000 for an overlay
 * whiteout, which is a 0/0 character device). */
#ifndef WHARF_ADDON_NODE_H
#define WHARF_ADDON_NODE_H

#include "addon/job.h"

napi_value wharf_js_mknod (napi_env env, napi_callback_info info);

#endif

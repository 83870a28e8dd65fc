/* JS: mount(source|null, target, fstype|null, flags: string[], data|null): Promise<void>
 *     umount2(target, flags: string[]): Promise<void>
 *     fsmount(fstype, target, params: [key, value|null][], attrs: string[]): Promise<void>
 * Flag names are the C names ('MS_BIND', 'MNT_DETACH', 'MOUNT_ATTR_RDONLY'). */
#ifndef WHARF_ADDON_MOUNT_H
#define WHARF_ADDON_MOUNT_H

#include "addon/job.h"

napi_value wharf_js_mount (napi_env env, napi_callback_info info);
napi_value wharf_js_umount2 (napi_env env, napi_callback_info info);
napi_value wharf_js_fsmount (napi_env env, napi_callback_info info);

#endif

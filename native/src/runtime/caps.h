/* Linux capabilities: names from config.json and applying the five sets
 * to the calling process (bounding, then user switch, then capset and
 * ambient). */
#ifndef WHARF_RUNTIME_CAPS_H
#define WHARF_RUNTIME_CAPS_H

#include <stdint.h>

#include "common/error.h"
#include "runtime/spec.h"

/* "CAP_SYS_ADMIN" -> 21; -1 when unknown. */
int wharf_cap_from_name (const char *name);

/* Parses a JSON array of capability names into a bit mask (unknown names
 * are ignored, as runc does, so newer configs still run). */
int wharf_caps_parse (const struct cJSON *arr, uint64_t *mask, wharf_error_t *err);

/* Drops the bounding set, switches to p->uid/gid/additional gids keeping
 * capabilities, then sets effective/permitted/inheritable and ambient. */
int wharf_caps_apply_with_user (const struct wharf_process *p, wharf_error_t *err);

#endif

/* The config.json `spec` writes: what `runc spec` writes. */
#ifndef WHARF_RUNTIME_SPEC_DEFAULT_H
#define WHARF_RUNTIME_SPEC_DEFAULT_H

extern const char wharf_default_spec[];

#endif

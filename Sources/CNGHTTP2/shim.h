#ifndef OAAS_CNGHTTP2_SHIM_H
#define OAAS_CNGHTTP2_SHIM_H

#include <nghttp2/nghttp2.h>

/* The library's version string, as a plain function: the macro form does not import into Swift. */
static inline const char *oaas_nghttp2_version_string(void) {
    nghttp2_info *info = nghttp2_version(0);
    return info ? info->version_str : "";
}

/* Non-zero when the linked library's version number is at least `version` (0xMMmmpp). */
static inline int oaas_nghttp2_is_at_least(int version) { return nghttp2_version(version) != 0; }

#endif

#ifndef OAAS_CZLIB_SHIM_H
#define OAAS_CZLIB_SHIM_H

#include <zlib.h>

/* deflateInit2/inflateInit2 are macros; these wrap them for Swift. windowBits 15 + 16 = gzip. */
static inline int oaas_gzip_inflate_init(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}
static inline int oaas_gzip_deflate_init(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

#endif

#ifndef OAAS_CNGHTTP2_SHIM_H
#define OAAS_CNGHTTP2_SHIM_H

#include <nghttp2/nghttp2.h>
#include <string.h>

/* The library's version string, as a plain function: the macro form does not import into Swift. */
static inline const char *oaas_nghttp2_version_string(void) {
    nghttp2_info *info = nghttp2_version(0);
    return info ? info->version_str : "";
}

/* Non-zero when the linked library's version number is at least `version` (0xMMmmpp). */
static inline int oaas_nghttp2_is_at_least(int version) { return nghttp2_version(version) != 0; }

/* nghttp2_frame is a C union; these read its members without Swift having to model it. */
static inline uint8_t oaas_frame_type(const nghttp2_frame *frame) { return frame->hd.type; }
static inline uint8_t oaas_frame_flags(const nghttp2_frame *frame) { return frame->hd.flags; }
static inline int32_t oaas_frame_stream_id(const nghttp2_frame *frame) { return frame->hd.stream_id; }
static inline int oaas_frame_headers_category(const nghttp2_frame *frame) { return (int)frame->headers.cat; }
static inline uint32_t oaas_frame_rst_error_code(const nghttp2_frame *frame) { return frame->rst_stream.error_code; }
static inline uint32_t oaas_frame_goaway_error_code(const nghttp2_frame *frame) { return frame->goaway.error_code; }
static inline int32_t oaas_frame_goaway_last_stream_id(const nghttp2_frame *frame) { return frame->goaway.last_stream_id; }
static inline const uint8_t *oaas_frame_goaway_debug(const nghttp2_frame *frame) { return frame->goaway.opaque_data; }
static inline size_t oaas_frame_goaway_debug_length(const nghttp2_frame *frame) { return frame->goaway.opaque_data_len; }
static inline const uint8_t *oaas_frame_ping_data(const nghttp2_frame *frame) { return frame->ping.opaque_data; }

/* Builds a name/value pair pointing into caller-owned bytes; nghttp2 copies them on submit. */
static inline nghttp2_nv oaas_make_nv(const uint8_t *name, size_t namelen, const uint8_t *value, size_t valuelen) {
    nghttp2_nv nv;
    nv.name = (uint8_t *)name;
    nv.namelen = namelen;
    nv.value = (uint8_t *)value;
    nv.valuelen = valuelen;
    nv.flags = NGHTTP2_NV_FLAG_NONE;
    return nv;
}

/* A data provider whose source pointer is unused: the stream id identifies the body. */
static inline nghttp2_data_provider oaas_make_data_provider(nghttp2_data_source_read_callback callback) {
    nghttp2_data_provider provider;
    provider.source.ptr = NULL;
    provider.read_callback = callback;
    return provider;
}

#endif

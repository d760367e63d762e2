#ifndef OAAS_CLIBUV_SHIM_H
#define OAAS_CLIBUV_SHIM_H

#include <uv.h>
#include <signal.h>
#include <pthread.h>
#include <sys/prctl.h>

/*
 * libuv's handle types share a common prefix (uv_handle_t, then uv_stream_t for streams).
 * C code casts between them freely; these helpers let Swift do the same without rebinding
 * memory by hand at every call site.
 */
static inline uv_handle_t *oaas_as_handle(void *handle) { return (uv_handle_t *)handle; }
static inline uv_stream_t *oaas_as_stream(void *handle) { return (uv_stream_t *)handle; }
static inline uv_tcp_t *oaas_as_tcp(void *handle) { return (uv_tcp_t *)handle; }
static inline uv_timer_t *oaas_as_timer(void *handle) { return (uv_timer_t *)handle; }
static inline uv_async_t *oaas_as_async(void *handle) { return (uv_async_t *)handle; }
static inline uv_signal_t *oaas_as_signal(void *handle) { return (uv_signal_t *)handle; }
static inline uv_prepare_t *oaas_as_prepare(void *handle) { return (uv_prepare_t *)handle; }
static inline uv_check_t *oaas_as_check(void *handle) { return (uv_check_t *)handle; }

/* Requests share uv_req_t's prefix the same way; uv_cancel takes the base type. */
static inline uv_req_t *oaas_as_req(void *req) { return (uv_req_t *)req; }

static inline void *oaas_handle_data(const void *handle) { return ((const uv_handle_t *)handle)->data; }
static inline void oaas_set_handle_data(void *handle, void *data) { ((uv_handle_t *)handle)->data = data; }
static inline void *oaas_req_data(const void *req) { return ((const uv_req_t *)req)->data; }
static inline void oaas_set_req_data(void *req, void *data) { ((uv_req_t *)req)->data = data; }

/* Writing to a peer that has gone away must surface as EPIPE, not kill the process. */
static inline void oaas_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

/* pthread_t is an integer on Linux and a pointer elsewhere; Swift only needs equality. */
static inline unsigned long oaas_current_thread_id(void) { return (unsigned long)pthread_self(); }

/* Names the calling thread for debuggers and `top -H` (Linux keeps the first 15 bytes). */
static inline void oaas_set_thread_name(const char *name) { prctl(PR_SET_NAME, name, 0, 0, 0); }

#endif

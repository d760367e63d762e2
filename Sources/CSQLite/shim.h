#ifndef OAAS_CSQLITE_SHIM_H
#define OAAS_CSQLITE_SHIM_H

#include <sqlite3.h>

/*
 * SQLITE_STATIC and SQLITE_TRANSIENT are casts of 0 and -1 to a function pointer type;
 * Swift imports neither macro, and cannot build a function pointer from -1 itself.
 * These return them so Swift can pass them to the sqlite3_bind_* functions.
 */
static inline sqlite3_destructor_type oaas_sqlite_static(void) { return SQLITE_STATIC; }
static inline sqlite3_destructor_type oaas_sqlite_transient(void) { return SQLITE_TRANSIENT; }

#endif

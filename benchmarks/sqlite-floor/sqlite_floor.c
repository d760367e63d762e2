/* The SQLite floor of the `stores` scenario (make bench / make bench-stores): how many
 * transactions of K upserts SQLite itself commits per second on this machine, with no runtime,
 * no gRPC and no thread hops around it. Same schema as the runtime's SQLite store, WAL journal,
 * synchronous NORMAL or FULL, each row's version read before its upsert (the store's
 * compare-and-set, Sources/OaasSQLite/SQLiteStatement.swift), a fresh file per run, records of about 60 bytes over 64 keys
 * (rotated like oaas-load's --invoke-obj ids).
 *
 *   sqlite_floor --dir DIR [--seconds D] [--batch K] [--keys N] [--record-bytes B]
 *                [--sync normal|full|both]
 *
 * Prints one JSON object per synchronous mode on stdout, e.g.
 *   {"tool":"sqlite-floor","synchronous":"normal","batch":16,"keys":64,"record_bytes":60,
 *    "seconds":2.000,"transactions":1234,"rows":19744,"transactions_per_second":617.0,
 *    "rows_per_second":9872.0,"cpu_seconds":1.2}
 * Exit 1 on any SQLite error (its message on stderr), 2 on bad usage.
 * Build: cc -O2 -o sqlite_floor sqlite_floor.c -lsqlite3
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6
         + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void fail(sqlite3 *db, const char *what) {
    fprintf(stderr, "sqlite_floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
    exit(1);
}

static void exec_or_fail(sqlite3 *db, const char *sql) {
    char *message = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
        fprintf(stderr, "sqlite_floor: %s: %s\n", sql, message ? message : "?");
        exit(1);
    }
}

/* One timed run on a fresh file DIR/floor-<mode>.db. */
static void run(const char *dir, const char *mode, double seconds, int batch, int keys, int record_bytes) {
    char path[4096];
    snprintf(path, sizeof path, "%s/floor-%s.db", dir, mode);
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char old[4200];
        snprintf(old, sizeof old, "%s%s", path, suffixes[i]);
        unlink(old);
    }

    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK) fail(db, "open");
    exec_or_fail(db, "PRAGMA journal_mode=WAL");
    exec_or_fail(db, strcmp(mode, "full") == 0 ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec_or_fail(db,
        "CREATE TABLE IF NOT EXISTS objects ("
        " class_id TEXT NOT NULL, partition_id INTEGER NOT NULL, object_id TEXT NOT NULL,"
        " version INTEGER NOT NULL, record BLOB,"
        " PRIMARY KEY (class_id, partition_id, object_id)) WITHOUT ROWID");

    sqlite3_stmt *upsert = NULL, *select = NULL, *begin = NULL, *commit = NULL;
    if (sqlite3_prepare_v2(db,
            "INSERT INTO objects (class_id, partition_id, object_id, version, record) VALUES (?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT (class_id, partition_id, object_id) DO UPDATE SET version = excluded.version, "
            "record = excluded.record", -1, &upsert, NULL) != SQLITE_OK) fail(db, "prepare upsert");
    /* The store's compare-and-set reads each row's version before writing it; so does this. */
    if (sqlite3_prepare_v2(db,
            "SELECT version FROM objects WHERE class_id = ?1 AND partition_id = ?2 AND object_id = ?3",
            -1, &select, NULL) != SQLITE_OK) fail(db, "prepare select");
    if (sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) != SQLITE_OK) fail(db, "prepare begin");
    if (sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) != SQLITE_OK) fail(db, "prepare commit");

    char (*names)[32] = calloc((size_t)keys, sizeof *names);
    long long *versions = calloc((size_t)keys, sizeof *versions);
    unsigned char *record = malloc((size_t)record_bytes);
    if (!names || !versions || !record) fail(NULL, "allocation");
    for (int k = 0; k < keys; k++) snprintf(names[k], sizeof names[k], "obj-%d", k);

    long long transactions = 0, rows = 0;
    int next_key = 0;
    double cpu_start = cpu_seconds();
    double start = now_seconds(), end = start + seconds, stop = start;
    while ((stop = now_seconds()) < end) {
        if (sqlite3_step(begin) != SQLITE_DONE) fail(db, "begin");
        sqlite3_reset(begin);
        for (int i = 0; i < batch; i++) {
            int k = next_key;
            next_key = (next_key + 1) % keys;
            sqlite3_bind_text(select, 1, "math.Calculator", -1, SQLITE_STATIC);
            sqlite3_bind_int64(select, 2, 0);
            sqlite3_bind_text(select, 3, names[k], -1, SQLITE_STATIC);
            int step = sqlite3_step(select);
            if (step == SQLITE_ROW) {
                if (sqlite3_column_int64(select, 0) != versions[k]) fail(db, "version check (unexpected version)");
            } else if (step != SQLITE_DONE || versions[k] != 0) {
                fail(db, "select version");
            }
            sqlite3_reset(select);
            long long version = ++versions[k];
            /* A JSON-ish record of about record_bytes, different each write. */
            int n = snprintf((char *)record, (size_t)record_bytes, "{\"value\":%lld,\"key\":%d}", version * 3, k);
            if (n < 0) n = 0;
            for (int j = n; j < record_bytes; j++) record[j] = ' ';
            sqlite3_bind_text(upsert, 1, "math.Calculator", -1, SQLITE_STATIC);
            sqlite3_bind_int64(upsert, 2, 0);
            sqlite3_bind_text(upsert, 3, names[k], -1, SQLITE_STATIC);
            sqlite3_bind_int64(upsert, 4, version);
            sqlite3_bind_blob(upsert, 5, record, record_bytes, SQLITE_STATIC);
            if (sqlite3_step(upsert) != SQLITE_DONE) fail(db, "upsert");
            sqlite3_reset(upsert);
        }
        if (sqlite3_step(commit) != SQLITE_DONE) fail(db, "commit");
        sqlite3_reset(commit);
        transactions++;
        rows += batch;
    }
    double elapsed = stop - start;
    double cpu = cpu_seconds() - cpu_start;
    printf("{\"tool\":\"sqlite-floor\",\"synchronous\":\"%s\",\"batch\":%d,\"keys\":%d,\"record_bytes\":%d,"
           "\"seconds\":%.3f,\"transactions\":%lld,\"rows\":%lld,\"transactions_per_second\":%.1f,"
           "\"rows_per_second\":%.1f,\"cpu_seconds\":%.3f,\"sqlite_version\":\"%s\"}\n",
           mode, batch, keys, record_bytes, elapsed, transactions, rows,
           elapsed > 0 ? transactions / elapsed : 0.0, elapsed > 0 ? rows / elapsed : 0.0, cpu,
           sqlite3_libversion());
    fflush(stdout);

    sqlite3_finalize(upsert);
    sqlite3_finalize(select);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    if (sqlite3_close(db) != SQLITE_OK) fail(db, "close");
    free(names);
    free(versions);
    free(record);
}

static void usage(void) {
    fprintf(stderr, "usage: sqlite_floor --dir DIR [--seconds D] [--batch K] [--keys N] [--record-bytes B] "
                    "[--sync normal|full|both]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *dir = NULL, *sync = "both";
    double seconds = 2;
    int batch = 16, keys = 64, record_bytes = 60;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) usage();
        const char *opt = argv[i], *val = argv[++i];
        if (strcmp(opt, "--dir") == 0) dir = val;
        else if (strcmp(opt, "--seconds") == 0) seconds = atof(val);
        else if (strcmp(opt, "--batch") == 0) batch = atoi(val);
        else if (strcmp(opt, "--keys") == 0) keys = atoi(val);
        else if (strcmp(opt, "--record-bytes") == 0) record_bytes = atoi(val);
        else if (strcmp(opt, "--sync") == 0) sync = val;
        else usage();
    }
    if (!dir || seconds <= 0 || batch < 1 || keys < 1 || record_bytes < 16 || record_bytes > 65536) usage();
    int both = strcmp(sync, "both") == 0;
    if (!both && strcmp(sync, "normal") != 0 && strcmp(sync, "full") != 0) usage();
    if (both || strcmp(sync, "normal") == 0) run(dir, "normal", seconds, batch, keys, record_bytes);
    if (both || strcmp(sync, "full") == 0) run(dir, "full", seconds, batch, keys, record_bytes);
    return 0;
}

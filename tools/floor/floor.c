/*
 * floor: the raw-SQLite baseline for StreamLog's benchmarks.
 *
 * It writes and reads exactly the rows the library writes, with the library's schema, connection
 * setup and statements, but with nothing else: no Swift, no allocation per event, no
 * abstraction. The library's throughput is then reported as a ratio of these figures, which
 * separates "what we cost" from "what SQLite costs on this machine".
 *
 * Each measurement prints one line:
 *   floor <workload> batch=<b> size=<s> count=<n> seconds=<t> rate=<r> unit=<rows/s|MB/s>
 * MB is 10^6 bytes. Setup (opening, schema, seeding the read workload) is never timed.
 *
 * Build and run through tools/floor.sh; `floor --help` lists the options.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

/* The library's statements, verbatim, so that the floor prepares the same query plans. */
static const char SQL_RESERVE[] =
    "UPDATE topics SET next_seq = next_seq + ?1, last_time = max(last_time, ?3) "
    "WHERE id = ?2 AND closed_at IS NULL";
static const char SQL_RESERVED[] = "SELECT next_seq - ?1, last_time FROM topics WHERE id = ?2";
static const char SQL_APPEND[] =
    "INSERT INTO topic_1 (seq, type, time, evict, encoding, size, payload, key, store, metadata) "
    "VALUES (?,0,?,0,'bytes',?,?,NULL,NULL,NULL)";
static const char SQL_READ[] =
    "SELECT seq, type, time, evict, encoding, size, payload, key, store, metadata "
    "FROM topic_1 WHERE seq > ? ORDER BY seq LIMIT ?";
static const char SQL_PUT[] =
    "INSERT INTO objects (key, size, encoding, created_at, chunks, data) "
    "VALUES (?, ?, 'bytes', ?, 0, ?)";
static const char SQL_GET[] = "SELECT size, encoding, chunks, data FROM objects WHERE key = ?";
static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";

/* The topic every workload uses; its table is topic_<TOPIC_ID>, hard-coded in the SQL above. */
#define TOPIC_ID 1

#define DEFAULT_APPEND_COUNT 1000000L
#define DEFAULT_APPEND_SINGLE_COUNT 20000L /* batch 1 costs one commit per row: keep it short */
#define DEFAULT_EVENT_SIZE 100L
#define DEFAULT_BATCH 1000L
#define DEFAULT_BLOB_COUNT 200L
#define DEFAULT_BLOB_SIZE 1048576L
#define READ_PAGE 1000L

struct options {
    const char *workload;   /* "all", "append", "read" or "blob" */
    long count, size, batch; /* < 0: not given, use the workload's default */
    long repeat;
    const char *db;         /* NULL: a fresh file in a mkdtemp directory */
    const char *migrations;
    int sync_full;
};

/* ---- failure and cleanup ------------------------------------------------------------------ */

/* The file of the run in progress, removed on failure too so that an aborted benchmark does not
 * leave hundreds of megabytes behind in /tmp. */
static char g_db_path[4096];
static char g_tmp_dir[sizeof g_db_path - 64]; /* room left for the file name inside it */

static void remove_db_files(void) {
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char path[sizeof g_db_path + 16];
    if (g_db_path[0] == '\0') return;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(path, sizeof path, "%s%s", g_db_path, suffixes[i]);
        if (unlink(path) != 0 && errno != ENOENT)
            fprintf(stderr, "floor: cannot remove %s: %s\n", path, strerror(errno));
    }
}

static void cleanup(void) {
    remove_db_files();
    if (g_tmp_dir[0] != '\0' && rmdir(g_tmp_dir) != 0)
        fprintf(stderr, "floor: cannot remove %s: %s\n", g_tmp_dir, strerror(errno));
    g_tmp_dir[0] = '\0';
}

static _Noreturn void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("floor: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    cleanup();
    exit(1);
}

/* Every SQLite call goes through one of these: a benchmark that silently fails measures
 * nothing, and the message names the SQL so the failing step is obvious. */
static void check(sqlite3 *db, int rc, int expected, const char *sql) {
    if (rc != expected)
        die("%s: %s (rc=%d)", sql, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
}

static void exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK) die("%s: %s (rc=%d)", sql, err ? err : sqlite3_errstr(rc), rc);
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
    sqlite3_stmt *stmt = NULL;
    check(db, sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL), SQLITE_OK,
          sql);
    return stmt;
}

static void finalize(sqlite3 *db, sqlite3_stmt *stmt, const char *sql) {
    check(db, sqlite3_finalize(stmt), SQLITE_OK, sql);
}

/* Ready a reused statement for its next execution, as a statement cache would. */
static void rewind_stmt(sqlite3 *db, sqlite3_stmt *stmt, const char *sql) {
    check(db, sqlite3_reset(stmt), SQLITE_OK, sql);
    check(db, sqlite3_clear_bindings(stmt), SQLITE_OK, sql);
}

/* ---- clocks and data ---------------------------------------------------------------------- */

static double monotonic_seconds(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) die("clock_gettime: %s", strerror(errno));
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The schema's time unit: microseconds since the Unix epoch. */
static int64_t now_micros(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) die("clock_gettime: %s", strerror(errno));
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* splitmix64: fast and good enough for keys and filler bytes. Seeded with a constant so runs
 * write identical data, while keys stay as scattered in the UNIQUE index as random ones. */
static uint64_t g_rng = 0x53545245414d4c47ULL;

static uint64_t next_random(void) {
    uint64_t z = (g_rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void fill_random(unsigned char *buf, size_t n) {
    for (size_t i = 0; i < n; i += 8) {
        uint64_t r = next_random();
        memcpy(buf + i, &r, n - i < 8 ? n - i : 8);
    }
}

/* At least one byte: sqlite3_bind_blob binds NULL for a NULL pointer, and an empty payload must
 * still be an empty blob. */
static unsigned char *alloc_buffer(long size) {
    unsigned char *buf = malloc(size > 0 ? (size_t)size : 1);
    if (buf == NULL) die("out of memory allocating %ld bytes", size);
    return buf;
}

static char *read_text_file(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) die("cannot open %s: %s (use --migrations DIR)", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    if (text == NULL) die("out of memory reading %s", path);
    for (size_t n; (n = fread(text + len, 1, cap - len - 1, f)) > 0;) {
        len += n;
        if (cap - len - 1 == 0) {
            char *bigger = realloc(text, cap *= 2);
            if (bigger == NULL) die("out of memory reading %s", path);
            text = bigger;
        }
    }
    if (ferror(f)) die("cannot read %s", path);
    fclose(f);
    text[len] = '\0';
    return text;
}

/* Substitutes every `{table}` of the topic template, as the library does. */
static char *replace_all(const char *text, const char *what, const char *with) {
    size_t wl = strlen(what), rl = strlen(with), n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += wl) n++;
    char *out = malloc(strlen(text) + n * rl + 1), *o = out;
    if (out == NULL) die("out of memory");
    for (const char *p = text, *hit;; p = hit + wl) {
        hit = strstr(p, what);
        size_t keep = hit ? (size_t)(hit - p) : strlen(p);
        memcpy(o, p, keep);
        o += keep;
        if (hit == NULL) break;
        memcpy(o, with, rl);
        o += rl;
    }
    *o = '\0';
    return out;
}

/* ---- database lifecycle ------------------------------------------------------------------- */

/* A fresh database with the library's connection setup, schema and one open topic. */
static sqlite3 *open_fresh(const struct options *opt) {
    remove_db_files(); /* leftovers of a previous run: every run starts from an empty file */

    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(g_db_path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) die("sqlite3_open_v2(%s): %s", g_db_path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));

    /* journal_mode reports the mode it got rather than failing: insist on WAL, or the figures
     * would describe a rollback journal. */
    static const char wal[] = "PRAGMA journal_mode=WAL";
    sqlite3_stmt *stmt = prepare(db, wal);
    check(db, sqlite3_step(stmt), SQLITE_ROW, wal);
    const char *mode = (const char *)sqlite3_column_text(stmt, 0);
    if (mode == NULL || strcmp(mode, "wal") != 0) die("%s: got journal_mode %s", wal, mode ? mode : "NULL");
    check(db, sqlite3_step(stmt), SQLITE_DONE, wal);
    finalize(db, stmt, wal);

    exec(db, opt->sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec(db, "PRAGMA secure_delete=0");
    exec(db, "PRAGMA foreign_keys=ON");
    check(db, sqlite3_busy_timeout(db, 5000), SQLITE_OK, "sqlite3_busy_timeout(5000)");

    /* Migration v1 as the library applies it: one IMMEDIATE transaction recording the version. */
    char *initial = read_text_file(opt->migrations, "v0001_initial.sql");
    exec(db, SQL_BEGIN);
    exec(db, initial);
    exec(db, "PRAGMA user_version=1");
    exec(db, SQL_COMMIT);
    free(initial);

    /* Topic creation: the registry row, then its table named from the row's id. */
    char sql[256];
    exec(db, SQL_BEGIN);
    snprintf(sql, sizeof sql,
             "INSERT INTO topics(name, created_at, next_seq) VALUES('t', %lld, 1)",
             (long long)now_micros());
    exec(db, sql);
    if (sqlite3_last_insert_rowid(db) != TOPIC_ID)
        die("%s: topic got id %lld, expected %d", sql, (long long)sqlite3_last_insert_rowid(db), TOPIC_ID);
    char *template = read_text_file(opt->migrations, "topic_table.sql");
    snprintf(sql, sizeof sql, "topic_%d", TOPIC_ID);
    char *create = replace_all(template, "{table}", sql);
    exec(db, create);
    exec(db, SQL_COMMIT);
    free(create);
    free(template);
    return db;
}

static void close_and_remove(sqlite3 *db) {
    check(db, sqlite3_close(db), SQLITE_OK, "sqlite3_close");
    remove_db_files();
}

/* ---- workloads ---------------------------------------------------------------------------- */

static void report(const char *workload, long batch, long size, long count, double seconds,
                   double rate, const char *unit) {
    printf("floor %s batch=%ld size=%ld count=%ld seconds=%.3f rate=%.*f unit=%s\n", workload,
           batch, size, count, seconds, strcmp(unit, "MB/s") == 0 ? 1 : 0, rate, unit);
    fflush(stdout);
}

/* Appends count events of `size` bytes in transactions of `batch`, exactly as the library's
 * append does: reserve the batch's seqs on the topic row, insert the rows, commit. Returns the
 * elapsed seconds. */
static double append_events(sqlite3 *db, long count, long size, long batch) {
    unsigned char *payload = alloc_buffer(size);
    fill_random(payload, (size_t)size);
    sqlite3_stmt *reserve = prepare(db, SQL_RESERVE);
    sqlite3_stmt *reserved = prepare(db, SQL_RESERVED);
    sqlite3_stmt *insert = prepare(db, SQL_APPEND);
    sqlite3_stmt *begin = prepare(db, SQL_BEGIN);
    sqlite3_stmt *commit = prepare(db, SQL_COMMIT);
    int64_t expected_seq = 1;

    double start = monotonic_seconds();
    for (long done = 0; done < count;) {
        long rows = count - done < batch ? count - done : batch;
        /* One clock read per transaction: the floor measures SQLite, not the clock. */
        int64_t event_time = now_micros();

        check(db, sqlite3_step(begin), SQLITE_DONE, SQL_BEGIN);
        check(db, sqlite3_reset(begin), SQLITE_OK, SQL_BEGIN);

        check(db, sqlite3_bind_int64(reserve, 1, rows), SQLITE_OK, SQL_RESERVE);
        check(db, sqlite3_bind_int64(reserve, 2, TOPIC_ID), SQLITE_OK, SQL_RESERVE);
        check(db, sqlite3_bind_int64(reserve, 3, event_time), SQLITE_OK, SQL_RESERVE);
        check(db, sqlite3_step(reserve), SQLITE_DONE, SQL_RESERVE);
        if (sqlite3_changes(db) != 1) die("%s: topic closed", SQL_RESERVE);
        rewind_stmt(db, reserve, SQL_RESERVE);
        check(db, sqlite3_bind_int64(reserved, 1, rows), SQLITE_OK, SQL_RESERVED);
        check(db, sqlite3_bind_int64(reserved, 2, TOPIC_ID), SQLITE_OK, SQL_RESERVED);
        check(db, sqlite3_step(reserved), SQLITE_ROW, SQL_RESERVED);
        int64_t seq = sqlite3_column_int64(reserved, 0);
        check(db, sqlite3_step(reserved), SQLITE_DONE, SQL_RESERVED);
        rewind_stmt(db, reserved, SQL_RESERVED);
        if (seq != expected_seq) die("%s: first seq %lld, expected %lld", SQL_RESERVE, (long long)seq, (long long)expected_seq);

        for (long i = 0; i < rows; i++, seq++) {
            check(db, sqlite3_bind_int64(insert, 1, seq), SQLITE_OK, SQL_APPEND);
            check(db, sqlite3_bind_int64(insert, 2, event_time), SQLITE_OK, SQL_APPEND);
            check(db, sqlite3_bind_int64(insert, 3, size), SQLITE_OK, SQL_APPEND);
            check(db, sqlite3_bind_blob(insert, 4, payload, (int)size, SQLITE_STATIC), SQLITE_OK,
                  SQL_APPEND);
            check(db, sqlite3_step(insert), SQLITE_DONE, SQL_APPEND);
            rewind_stmt(db, insert, SQL_APPEND);
        }

        check(db, sqlite3_step(commit), SQLITE_DONE, SQL_COMMIT);
        check(db, sqlite3_reset(commit), SQLITE_OK, SQL_COMMIT);
        done += rows;
        expected_seq += rows;
    }
    double seconds = monotonic_seconds() - start;

    finalize(db, commit, SQL_COMMIT);
    finalize(db, begin, SQL_BEGIN);
    finalize(db, insert, SQL_APPEND);
    finalize(db, reserved, SQL_RESERVED);
    finalize(db, reserve, SQL_RESERVE);
    free(payload);
    return seconds;
}

/* Keeps the reads observable so the compiler cannot drop the copies. */
static volatile uint64_t g_sink;

/* Reads every event back through the library's cursor query, a page at a time. Every column is
 * fetched and the payload copied out, as a binding that builds its own values must. */
static double read_events(sqlite3 *db, long count, long size, long page) {
    unsigned char *copy = alloc_buffer(size);
    sqlite3_stmt *select = prepare(db, SQL_READ);
    int64_t cursor = 0;
    long total = 0;
    uint64_t sink = 0;

    double start = monotonic_seconds();
    for (;;) {
        check(db, sqlite3_bind_int64(select, 1, cursor), SQLITE_OK, SQL_READ);
        check(db, sqlite3_bind_int64(select, 2, page), SQLITE_OK, SQL_READ);
        long rows = 0;
        int rc;
        while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
            int64_t seq = sqlite3_column_int64(select, 0);
            int type = sqlite3_column_int(select, 1);
            int64_t event_time = sqlite3_column_int64(select, 2);
            int evict = sqlite3_column_int(select, 3);
            const unsigned char *encoding = sqlite3_column_text(select, 4);
            int encoding_len = sqlite3_column_bytes(select, 4);
            int64_t row_size = sqlite3_column_int64(select, 5);
            const void *blob = sqlite3_column_blob(select, 6);
            int blob_len = sqlite3_column_bytes(select, 6);
            const void *key = sqlite3_column_blob(select, 7);
            int key_len = sqlite3_column_bytes(select, 7);
            int has_store = sqlite3_column_type(select, 8) != SQLITE_NULL;
            int64_t store = has_store ? sqlite3_column_int64(select, 8) : 0;
            const unsigned char *metadata = sqlite3_column_text(select, 9);

            if (blob_len != size || row_size != size || encoding == NULL || key != NULL || metadata != NULL)
                die("%s: unexpected row at seq %lld", SQL_READ, (long long)seq);
            if (blob_len > 0) memcpy(copy, blob, (size_t)blob_len);
            sink += (uint64_t)(seq + type + event_time + evict + encoding_len + key_len + store) + copy[0];
            cursor = seq;
            rows++;
        }
        check(db, rc, SQLITE_DONE, SQL_READ);
        rewind_stmt(db, select, SQL_READ);
        total += rows;
        if (rows < page) break; /* a short page is the end of the topic */
    }
    double seconds = monotonic_seconds() - start;

    g_sink = sink;
    if (total != count || cursor != count)
        die("%s: read %ld events up to seq %lld, expected %ld", SQL_READ, total, (long long)cursor, count);
    finalize(db, select, SQL_READ);
    free(copy);
    return seconds;
}

static void run_append(const struct options *opt, long count, long size, long batch) {
    sqlite3 *db = open_fresh(opt);
    double seconds = append_events(db, count, size, batch);
    close_and_remove(db);
    report("append", batch, size, count, seconds, (double)count / seconds, "rows/s");
}

static void run_read(const struct options *opt, long count, long size, long page) {
    sqlite3 *db = open_fresh(opt);
    /* "Just appended": the same batched append as the append workload, untimed. */
    append_events(db, count, size, DEFAULT_BATCH);
    double seconds = read_events(db, count, size, page);
    close_and_remove(db);
    report("read", page, size, count, seconds, (double)count / seconds, "rows/s");
}

/* Whole-value objects (chunks = 0), one per transaction as the library's put, then fetched back
 * by key. */
static void run_blob(const struct options *opt, long count, long size) {
    sqlite3 *db = open_fresh(opt);
    unsigned char *data = alloc_buffer(size), *copy = alloc_buffer(size);
    fill_random(data, (size_t)size);
    unsigned char (*keys)[16] = malloc((size_t)count * sizeof *keys);
    if (keys == NULL) die("out of memory for %ld keys", count);
    sqlite3_stmt *begin = prepare(db, SQL_BEGIN);
    sqlite3_stmt *commit = prepare(db, SQL_COMMIT);
    sqlite3_stmt *put = prepare(db, SQL_PUT);
    sqlite3_stmt *get = prepare(db, SQL_GET);

    double start = monotonic_seconds();
    for (long i = 0; i < count; i++) {
        uint64_t r[2] = {next_random(), next_random()};
        memcpy(keys[i], r, 16);
        check(db, sqlite3_step(begin), SQLITE_DONE, SQL_BEGIN);
        check(db, sqlite3_reset(begin), SQLITE_OK, SQL_BEGIN);
        check(db, sqlite3_bind_blob(put, 1, keys[i], 16, SQLITE_STATIC), SQLITE_OK, SQL_PUT);
        check(db, sqlite3_bind_int64(put, 2, size), SQLITE_OK, SQL_PUT);
        check(db, sqlite3_bind_int64(put, 3, now_micros()), SQLITE_OK, SQL_PUT);
        check(db, sqlite3_bind_blob(put, 4, data, (int)size, SQLITE_STATIC), SQLITE_OK, SQL_PUT);
        check(db, sqlite3_step(put), SQLITE_DONE, SQL_PUT);
        rewind_stmt(db, put, SQL_PUT);
        check(db, sqlite3_step(commit), SQLITE_DONE, SQL_COMMIT);
        check(db, sqlite3_reset(commit), SQLITE_OK, SQL_COMMIT);
    }
    double put_seconds = monotonic_seconds() - start;

    uint64_t sink = 0;
    start = monotonic_seconds();
    for (long i = 0; i < count; i++) {
        check(db, sqlite3_bind_blob(get, 1, keys[i], 16, SQLITE_STATIC), SQLITE_OK, SQL_GET);
        check(db, sqlite3_step(get), SQLITE_ROW, SQL_GET); /* no row: the object is missing */
        int64_t got_size = sqlite3_column_int64(get, 0);
        const unsigned char *encoding = sqlite3_column_text(get, 1);
        int64_t chunks = sqlite3_column_int64(get, 2);
        const void *blob = sqlite3_column_blob(get, 3);
        int blob_len = sqlite3_column_bytes(get, 3);
        if (got_size != size || blob_len != size || chunks != 0 || encoding == NULL)
            die("%s: unexpected object %ld", SQL_GET, i);
        if (blob_len > 0) memcpy(copy, blob, (size_t)blob_len);
        sink += (uint64_t)chunks + copy[0];
        check(db, sqlite3_step(get), SQLITE_DONE, SQL_GET);
        rewind_stmt(db, get, SQL_GET);
    }
    double get_seconds = monotonic_seconds() - start;
    g_sink = sink;

    finalize(db, get, SQL_GET);
    finalize(db, put, SQL_PUT);
    finalize(db, commit, SQL_COMMIT);
    finalize(db, begin, SQL_BEGIN);
    close_and_remove(db);
    free(keys);
    free(copy);
    free(data);

    double megabytes = (double)count * (double)size / 1e6;
    report("blob-put", 1, size, count, put_seconds, megabytes / put_seconds, "MB/s");
    report("blob-get", 1, size, count, get_seconds, megabytes / get_seconds, "MB/s");
}

/* ---- command line ------------------------------------------------------------------------- */

static void usage(FILE *out) {
    fprintf(out,
            "usage: floor [options]\n"
            "  --workload all|append|read|blob  (default all)\n"
            "  --count N      events or objects; defaults: append %ld (%ld at batch 1), read %ld,\n"
            "                 blob %ld\n"
            "  --size BYTES   payload size; defaults: events %ld, blobs %ld\n"
            "  --batch N      append: rows per transaction (default: runs %ld, then 1);\n"
            "                 read: rows per page (default %ld)\n"
            "  --repeat K     run each workload K times, each on a fresh database (default 1)\n"
            "  --sync normal|full  PRAGMA synchronous (default normal)\n"
            "  --db PATH      database file (must not exist; removed after each run);\n"
            "                 default: a fresh file in a temporary directory\n"
            "  --migrations DIR  folder of v0001_initial.sql and topic_table.sql\n"
            "                 (default Migrations)\n"
            "--count, --size and --batch apply to every workload that runs: with them, select one.\n",
            DEFAULT_APPEND_COUNT, DEFAULT_APPEND_SINGLE_COUNT, DEFAULT_APPEND_COUNT,
            DEFAULT_BLOB_COUNT, DEFAULT_EVENT_SIZE, DEFAULT_BLOB_SIZE, DEFAULT_BATCH, READ_PAGE);
}

static long parse_long(const char *name, const char *text, long min, long max) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        die("%s: expected an integer in [%ld, %ld], got '%s'", name, min, max, text);
    return v;
}

static void parse_options(int argc, char **argv, struct options *opt) {
    *opt = (struct options){.workload = "all", .count = -1, .size = -1, .batch = -1,
                            .repeat = 1, .migrations = "Migrations"};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        /* Accept both "--name value" and "--name=value". */
        const char *value = strchr(arg, '=');
        size_t name_len = value ? (size_t)(value - arg) : strlen(arg);
        char name[32];
        if (strncmp(arg, "--", 2) != 0 || name_len >= sizeof name) {
            usage(stderr);
            die("unknown argument '%s'", arg);
        }
        memcpy(name, arg, name_len);
        name[name_len] = '\0';
        if (value) value++;
        else if (i + 1 < argc) value = argv[++i];
        else die("%s needs a value", name);

        if (strcmp(name, "--workload") == 0) {
            if (strcmp(value, "all") && strcmp(value, "append") && strcmp(value, "read") &&
                strcmp(value, "blob"))
                die("--workload: expected all, append, read or blob, got '%s'", value);
            opt->workload = value;
        } else if (strcmp(name, "--count") == 0) {
            opt->count = parse_long(name, value, 1, 1000000000000L);
        } else if (strcmp(name, "--size") == 0) {
            /* SQLite's default SQLITE_MAX_LENGTH caps a value at 10^9 bytes. */
            opt->size = parse_long(name, value, 0, 1000000000L);
        } else if (strcmp(name, "--batch") == 0) {
            opt->batch = parse_long(name, value, 1, 1000000000L);
        } else if (strcmp(name, "--repeat") == 0) {
            opt->repeat = parse_long(name, value, 1, 1000000L);
        } else if (strcmp(name, "--sync") == 0) {
            if (strcmp(value, "normal") && strcmp(value, "full"))
                die("--sync: expected normal or full, got '%s'", value);
            opt->sync_full = strcmp(value, "full") == 0;
        } else if (strcmp(name, "--db") == 0) {
            opt->db = value;
        } else if (strcmp(name, "--migrations") == 0) {
            opt->migrations = value;
        } else {
            usage(stderr);
            die("unknown option '%s'", name);
        }
    }
}

static long or_default(long value, long fallback) { return value >= 0 ? value : fallback; }

int main(int argc, char **argv) {
    struct options opt;
    parse_options(argc, argv, &opt);

    /* The database path. A given one must be new: each run deletes its files, and deleting a
     * file the user already had would be a nasty surprise. */
    if (opt.db != NULL) {
        if (strlen(opt.db) >= sizeof g_db_path) die("--db: path too long");
        if (access(opt.db, F_OK) == 0) die("--db: %s already exists; give a new path", opt.db);
        strcpy(g_db_path, opt.db);
    } else {
        const char *tmp = getenv("TMPDIR");
        int n = snprintf(g_tmp_dir, sizeof g_tmp_dir, "%s/streamlog-floor.XXXXXX",
                         tmp && *tmp ? tmp : "/tmp");
        if (n < 0 || (size_t)n >= sizeof g_tmp_dir) {
            g_tmp_dir[0] = '\0';
            die("TMPDIR too long");
        }
        if (mkdtemp(g_tmp_dir) == NULL) {
            int e = errno;
            g_tmp_dir[0] = '\0';
            die("mkdtemp: %s", strerror(e));
        }
        snprintf(g_db_path, sizeof g_db_path, "%s/floor.db", g_tmp_dir);
    }

    int all = strcmp(opt.workload, "all") == 0;
    long event_size = or_default(opt.size, DEFAULT_EVENT_SIZE);

    if (all || strcmp(opt.workload, "append") == 0) {
        long batch = or_default(opt.batch, DEFAULT_BATCH);
        for (long r = 0; r < opt.repeat; r++)
            run_append(&opt, or_default(opt.count, DEFAULT_APPEND_COUNT), event_size, batch);
        /* Batch 1 prices the per-transaction overhead; given an explicit --batch, run only it. */
        if (opt.batch < 0)
            for (long r = 0; r < opt.repeat; r++)
                run_append(&opt, or_default(opt.count, DEFAULT_APPEND_SINGLE_COUNT), event_size, 1);
    }
    if (all || strcmp(opt.workload, "read") == 0)
        for (long r = 0; r < opt.repeat; r++)
            run_read(&opt, or_default(opt.count, DEFAULT_APPEND_COUNT), event_size,
                     or_default(opt.batch, READ_PAGE));
    if (all || strcmp(opt.workload, "blob") == 0)
        for (long r = 0; r < opt.repeat; r++)
            run_blob(&opt, or_default(opt.count, DEFAULT_BLOB_COUNT),
                     or_default(opt.size, DEFAULT_BLOB_SIZE));

    cleanup();
    return 0;
}

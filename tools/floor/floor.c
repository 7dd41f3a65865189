/*
 * floor: the raw-SQLite baseline for StreamLog's benchmarks.
 *
 * It writes and reads exactly the rows the library writes, with the library's schema, connection
 * setup and statements, but with nothing else: no Swift, no allocation per event, no
 * abstraction. The library's throughput is then reported as a ratio of these figures, which
 * separates "what we cost" from "what SQLite costs on this machine".
 *
 * Workloads:
 *   append    events appended in transactions of `batch` rows (the log layer's append)
 *   read      the same events read back a page at a time (the log layer's cursor read)
 *   blob      objects put one per transaction, then fetched by key one per read transaction
 *             (blob-put, blob-get): kept in their row up to 64 KiB, in 4 MiB chunks above
 *   stream    a store-backed stream: a producer process appends objects to the file's object
 *             store with their key events, `batch` per transaction (in 4 MiB chunks above
 *             64 KiB); a consumer process (fork) reads them with the subscriber's page query,
 *             copies every object out (up to 64 KiB with its page, larger ones fetched one by
 *             one, each in a read transaction, as the library's) and evicts them in seq ranges
 *             (with their chunks); the library's WAL hook, background checkpoint thread and
 *             busy handler on both sides
 *   latency   the stream's producer and consumer with one object per transaction, `interval`
 *             apart: from the producer's send (before BEGIN) to the consumer holding the object
 *             with its eviction committed, the consumer waiting on inotify as the library's (or
 *             spinning, with --wait spin: what SQLite alone costs)
 *
 * Each measurement prints one line:
 *   floor <workload> batch=<b> size=<s> count=<n> seconds=<t> rate=<r> unit=<rows/s|MB/s>
 * and the stream workload `... count=<n> placement=store [evict=false] seconds=<t> rate=<r>
 * unit=objects/s`, timed from the producer's first transaction to the consumer's eviction of the
 * last object; the latency workload two, `floor latency-p50 ... wait=<w> interval_us=<i>
 * seconds=0 rate=<µs> unit=us` and the same for p99. MB is 10^6 bytes. Setup (opening, schema, seeding the read workload, starting the
 * consumer) is never timed.
 *
 * By default SQLite writes the WAL as it does on its own (two calls per frame); --wal-writes
 * combined puts the library's WALWriteCombiningVFS between them (the WAL written per commit in
 * 64 KiB pieces), for a floor of the library's own write pattern.
 *
 * Build and run through tools/floor.sh; `floor --help` lists the options.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <poll.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#endif

#include <sqlite3.h>

/* The library's statements, verbatim, so that the floor prepares the same query plans. */
static const char SQL_NEXT_SEQ[] =
    "SELECT closed_at IS NULL, max(next_seq, ifnull((SELECT max(seq) FROM topic_1), 0) + 1), "
    "max(last_time, ifnull((SELECT time FROM topic_1 ORDER BY seq DESC LIMIT 1), 0)) FROM topics WHERE id = ?1";
static const char SQL_APPEND[] =
    "INSERT INTO topic_1 (seq, type, time, evict, encoding, size, payload, key, store, metadata) "
    "VALUES (?,0,?,0,'bytes',?,?,NULL,NULL,NULL)";
static const char SQL_READ[] =
    "SELECT seq, type, time, evict, encoding, size, payload, key, store, metadata "
    "FROM topic_1 WHERE seq > ? ORDER BY seq LIMIT ?";
static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
/* The blob workload's: ObjectStore.put (insertRow, then insertChunk per chunk of a large object)
 * and ObjectStore.get (LogDatabase.read's deferred transaction around load, whose readChunks
 * lists a large object's chunks and reads each with blob I/O; withSmallPageCache reads the cache
 * size before lowering it). */
static const char SQL_PUT[] =
    "INSERT INTO objects (key, size, encoding, created_at, chunks, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_CHUNK_PUT[] = "INSERT INTO object_chunks (key, idx, data) VALUES (?1, ?2, ?3)";
static const char SQL_BEGIN_READ[] = "BEGIN DEFERRED";
static const char SQL_GET[] = "SELECT size, encoding, chunks, data FROM objects WHERE key = ?1";
static const char SQL_CHUNKS[] = "SELECT id, length(data) FROM object_chunks WHERE key = ?1 ORDER BY idx";
static const char SQL_CACHE_SIZE[] = "PRAGMA cache_size";
/* The stream workload's: a producer's flush into the file's own store (ObjectStore.insert, with
 * SQL_CHUNK_PUT for a large object, then LogDatabase.appendRows), the close of a topic, a
 * subscriber's page with its small objects (LogDatabase.subscriberPage; a large object is fetched
 * on its own with the blob workload's SQL_BEGIN_READ, SQL_GET and SQL_CHUNKS) and its eviction of
 * a seq range (LogDatabase.commitConsumption: the chunks first once a large object was fetched). */
static const char SQL_OBJECT_PUT[] =
    "INSERT INTO objects (key, size, encoding, created_at, chunks, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_EVENT[] =
    "INSERT INTO topic_1 (seq, type, time, evict, encoding, size, payload, key, store, metadata) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char SQL_IS_CLOSED[] = "SELECT closed_at IS NOT NULL FROM topics WHERE id = ?1";
static const char SQL_CLOSE[] = "UPDATE topics SET closed_at = ?2 WHERE id = ?1";
static const char SQL_PAGE[] =
    "SELECT t.seq, t.type, t.time, t.evict, t.encoding, t.size, t.payload, t.key, t.store, t.metadata, "
    "o.data, o.encoding FROM topic_1 t LEFT JOIN objects o "
    "ON t.key IS NOT NULL AND t.store IS NULL AND t.size <= ?3 AND o.key = t.key AND o.chunks = 0 "
    "WHERE t.seq > ?1 ORDER BY t.seq LIMIT ?2";
static const char SQL_EVICT_CHUNKS[] =
    "DELETE FROM object_chunks WHERE key IN (SELECT key FROM topic_1 WHERE seq BETWEEN ?1 AND ?2 "
    "AND evict = 1 AND key IS NOT NULL AND store IS NULL)";
static const char SQL_EVICT[] =
    "DELETE FROM objects WHERE key IN (SELECT key FROM topic_1 WHERE seq BETWEEN ?1 AND ?2 "
    "AND evict = 1 AND key IS NOT NULL AND store IS NULL)";
static const char SQL_DATA_VERSION[] = "PRAGMA data_version";
/* The rows of the multi-row forms of SQL_APPEND, SQL_OBJECT_PUT and SQL_EVENT (MultiRowInsert):
 * "<prefix> VALUES <row>, <row>, …", built by multi_row_sql. */
static const char SQL_APPEND_PREFIX[] =
    "INSERT INTO topic_1 (seq, type, time, evict, encoding, size, payload, key, store, metadata)";
static const char SQL_APPEND_ROW[] = "(?,0,?,0,'bytes',?,?,NULL,NULL,NULL)";
static const char SQL_OBJECT_PUT_PREFIX[] = "INSERT INTO objects (key, size, encoding, created_at, chunks, data)";
static const char SQL_OBJECT_PUT_ROW[] = "(?, ?, ?, ?, ?, ?)";
static const char SQL_EVENT_ROW[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_SCHEMA_READ[] = "SELECT count(*) FROM sqlite_schema";

/* The topic every workload uses; its table is topic_<TOPIC_ID>, hard-coded in the SQL above. */
#define TOPIC_ID 1

#define DEFAULT_APPEND_COUNT 1000000L
#define DEFAULT_APPEND_SINGLE_COUNT 20000L /* batch 1 costs one commit per row: keep it short */
#define DEFAULT_EVENT_SIZE 100L
#define DEFAULT_BATCH 1000L
#define DEFAULT_BLOB_COUNT 200L
#define DEFAULT_BLOB_SIZE 1048576L
#define READ_PAGE 1000L
/* The library's constants for objects (ObjectStore). */
#define ROW_VALUE_LIMIT 65536L           /* rowValueLimit: larger objects are stored in chunks */
#define CHUNK_SIZE 4194304L              /* chunkSize: the most bytes in one object_chunks row */
#define SMALL_CACHE_THRESHOLD 262144L    /* smallCacheThreshold: read with a small page cache */
#define SMALL_CACHE_PAGES 64             /* withSmallPageCache: PRAGMA cache_size meanwhile */
#define DEFAULT_STREAM_COUNT 300000L
#define DEFAULT_STREAM_BATCH 100L
#define DEFAULT_LATENCY_COUNT 500L
#define DEFAULT_LATENCY_INTERVAL 2000L /* µs between sends, as `streamlog bench latency` */
/* The library's constants for streams (SQLiteSubscriber, LogDatabase, Checkpointer, Options). */
#define STREAM_PAGE 256L             /* SQLiteSubscriber pageSize */
#define PREFETCH_LIMIT 65536L        /* LogDatabase.prefetchLimit: objects read with their page */
#define PAGE_BYTE_BUDGET (1L << 20)  /* LogDatabase.pageByteBudget: a page ends once it holds this much */
#define EVICTION_BATCH 1024L         /* SQLiteSubscriber.evictionBatch */
/* MultiRowInsert: runs of rows are inserted 64, 16 or 4 per statement (largest first), the rest
 * one per statement; rows with a value over MULTI_ROW_LIMIT bytes always one per statement. */
static const int MULTI_ROW_SIZES[] = {64, 16, 4};
#define MULTI_ROW_KINDS 3
#define MULTI_ROW_LIMIT 1024L        /* MultiRowInsert.payloadLimit */
#define CHECKPOINT_PAGES 1000        /* Options.walAutocheckpointPages */
#define CHECKPOINT_HARD_LIMIT (8 * CHECKPOINT_PAGES) /* a commit checkpoints itself past this */
#define CHECKPOINT_RESTART (4 * CHECKPOINT_PAGES)    /* Checkpointer.restartThreshold */
#define WAL_SIZE_LIMIT 67108864L     /* Options.walSizeLimit: PRAGMA journal_size_limit */
#define BUSY_TIMEOUT_SECONDS 30.0    /* Options.busyTimeout */
#define RESTART_WAIT_SECONDS 0.020   /* Checkpointer.restartWait */

struct options {
    const char *workload;   /* "all", "append", "read", "blob", "stream" or "latency" */
    long count, size, batch; /* < 0: not given, use the workload's default */
    long repeat;
    const char *db;         /* NULL: a fresh file in a mkdtemp directory */
    const char *migrations;
    int sync_full;
    int combine_wal_writes;
    int no_evict;           /* stream: objects are sent with evict = 0 */
    long interval;          /* latency: µs between sends (< 0: not given) */
    int wait_spin;          /* latency: the consumer spins instead of sleeping on inotify */
};

/* ---- failure and cleanup ------------------------------------------------------------------ */

/* The file of the run in progress, removed on failure too so that an aborted benchmark does not
 * leave hundreds of megabytes behind in /tmp. */
static char g_db_path[4096];
static char g_tmp_dir[sizeof g_db_path - 64]; /* room left for the file name inside it */
/* The database's files, spelled out once so that a signal handler can remove them with unlink
 * alone (snprintf is not async-signal-safe). */
static const char *const g_db_suffixes[] = {"", "-wal", "-shm", "-journal"};
#define DB_FILES (sizeof g_db_suffixes / sizeof g_db_suffixes[0])
static char g_db_files[DB_FILES][sizeof g_db_path + 16];

/* The stream workload's consumer process: the parent kills and reaps it on failure; the child
 * leaves the files to the parent (unless the parent is gone) and never runs the parent's exit. */
static volatile pid_t g_child;
static pid_t g_parent;
static volatile sig_atomic_t g_is_child;

static void set_db_path(const char *path) {
    snprintf(g_db_path, sizeof g_db_path, "%s", path);
    for (size_t i = 0; i < DB_FILES; i++)
        snprintf(g_db_files[i], sizeof g_db_files[i], "%s%s", g_db_path, g_db_suffixes[i]);
}

static void remove_db_files(void) {
    if (g_db_path[0] == '\0') return;
    for (size_t i = 0; i < DB_FILES; i++)
        if (unlink(g_db_files[i]) != 0 && errno != ENOENT)
            fprintf(stderr, "floor: cannot remove %s: %s\n", g_db_files[i], strerror(errno));
}

/* Kills and reaps the stream consumer, if one is running. */
static void stop_child(void) {
    pid_t child = g_child;
    if (child <= 0) return;
    g_child = 0;
    kill(child, SIGKILL);
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
}

static void cleanup(void) {
    if (g_is_child) return; /* the files are the parent's */
    stop_child();
    remove_db_files();
    if (g_tmp_dir[0] != '\0' && rmdir(g_tmp_dir) != 0)
        fprintf(stderr, "floor: cannot remove %s: %s\n", g_tmp_dir, strerror(errno));
    g_tmp_dir[0] = '\0';
}

static _Noreturn void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs(g_is_child ? "floor (consumer): " : "floor: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (g_is_child) _exit(1); /* the parent sees the pipe close, then cleans up */
    cleanup();
    exit(1);
}

/* SIGINT, SIGTERM, SIGHUP: remove the files (and kill the consumer), then die of the signal. The
 * consumer removes them only when its parent is gone: it gets SIGTERM from the parent when the
 * parent dies, even of SIGKILL (Linux PR_SET_PDEATHSIG), so that no kill leaves a file behind.
 * (The parent itself never sends SIGTERM: it kills the consumer with SIGKILL. And getppid() alone
 * cannot tell: the signal may arrive before the consumer is reparented.) Only async-signal-safe
 * calls here. */
static void on_signal(int sig, siginfo_t *info, void *context) {
    (void)context;
    int saved = errno;
    int owner = !g_is_child || getppid() != g_parent ||
                (info != NULL && info->si_code == SI_USER && info->si_pid == g_parent);
    if (!g_is_child && g_child > 0) {
        kill(g_child, SIGKILL);
        waitpid(g_child, NULL, 0);
        g_child = 0;
    }
    if (owner) {
        if (g_db_path[0] != '\0')
            for (size_t i = 0; i < DB_FILES; i++) unlink(g_db_files[i]);
        if (g_tmp_dir[0] != '\0') rmdir(g_tmp_dir);
    }
    signal(sig, SIG_DFL);
    raise(sig);
    errno = saved;
}

static void install_signal_handlers(void) {
    static const int signals[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_signal;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaddset(&action.sa_mask, signals[i]);
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
        if (sigaction(signals[i], &action, NULL) != 0) die("sigaction: %s", strerror(errno));
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

/* "<prefix> VALUES <row>, <row>, …" with `rows` rows (MultiRowInsert.placeholders). */
static char *multi_row_sql(const char *prefix, const char *row, int rows) {
    size_t length = strlen(prefix) + strlen(" VALUES ") + (size_t)rows * (strlen(row) + 2) + 1;
    char *sql = malloc(length);
    if (sql == NULL) die("out of memory for a statement");
    strcpy(sql, prefix);
    strcat(sql, " VALUES ");
    for (int i = 0; i < rows; i++) {
        if (i > 0) strcat(sql, ", ");
        strcat(sql, row);
    }
    return sql;
}

/* The multi-row statements of one kind of row, one per MULTI_ROW_SIZES entry. */
struct multi_row {
    sqlite3_stmt *stmt[MULTI_ROW_KINDS];
    char *sql[MULTI_ROW_KINDS];
};

static void prepare_multi_row(sqlite3 *db, struct multi_row *m, const char *prefix, const char *row) {
    for (int k = 0; k < MULTI_ROW_KINDS; k++) {
        m->sql[k] = multi_row_sql(prefix, row, MULTI_ROW_SIZES[k]);
        m->stmt[k] = prepare(db, m->sql[k]);
    }
}

static void finalize_multi_row(sqlite3 *db, struct multi_row *m) {
    for (int k = 0; k < MULTI_ROW_KINDS; k++) {
        finalize(db, m->stmt[k], m->sql[k]);
        free(m->sql[k]);
    }
}

/* Which multi-row statement inserts the next of `left` rows of values of `size` bytes
 * (MultiRowInsert.rows): the index of the largest size that fits, or -1 for one row alone. */
static int multi_row_kind(long left, long size) {
    if (size > MULTI_ROW_LIMIT) return -1;
    for (int k = 0; k < MULTI_ROW_KINDS; k++)
        if (MULTI_ROW_SIZES[k] <= left) return k;
    return -1;
}

/* ---- clocks and data ---------------------------------------------------------------------- */

static double monotonic_seconds(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) die("clock_gettime: %s", strerror(errno));
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_micros(long micros) {
    struct timespec ts = {micros / 1000000, (micros % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* The schema's time unit: microseconds since the Unix epoch. */
static int64_t now_micros(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) die("clock_gettime: %s", strerror(errno));
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* splitmix64: fast and good enough for the random bits of keys and for filler bytes. Seeded
 * with a constant so that runs write identical data. */
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

/* A migration file: `v`, four digits, `_`, a name, `.sql` (MigrationScripts' naming). */
static int is_migration(const struct dirent *entry) {
    const char *n = entry->d_name;
    size_t len = strlen(n);
    if (len < 10 || n[0] != 'v' || n[5] != '_' || strcmp(n + len - 4, ".sql") != 0) return 0;
    for (int i = 1; i <= 4; i++)
        if (n[i] < '0' || n[i] > '9') return 0;
    return 1;
}

/* ---- WAL write combining (--wal-writes combined) ------------------------------------------- */

/* The library's WALWriteCombiningVFS, for a floor of the same writes: a shim over the default VFS
 * that collects a WAL file's writes in a buffer of WC_CAPACITY bytes and writes them in one call
 * once the commit frame is complete (the page after a 24-byte frame header whose bytes 4-7, the
 * database size after a commit, are not zero), when the buffer is full or the next write is not
 * contiguous, before a read, sync, truncate, size or close of the WAL, and before its database
 * file releases the WAL write lock. Writes to other files go straight through. Without --wal-writes combined the floor is SQLite's own write pattern. */
#define WC_CAPACITY (64 << 10) /* WALWriteCombiningVFS.capacity: the unix VFS writes < 128 KiB a call */
#define WC_FRAME_HEADER 24

typedef struct wc_file {
    sqlite3_file base;
    sqlite3_file *real;
    unsigned char *bytes; /* NULL for a file other than a WAL, or before the first write */
    int is_wal, is_db, count, flush_after_next;
    sqlite3_int64 offset;
    char *wal_path;            /* a WAL's own path, a database's WAL's; NULL for other files */
    struct wc_file *next_open; /* the process's open WALs (g_wc_wals) */
} wc_file;

/* The open WALs of this process, for a database file releasing the WAL write lock (wc_shm_lock). */
static pthread_mutex_t g_wc_lock = PTHREAD_MUTEX_INITIALIZER;
static wc_file *g_wc_wals;

static sqlite3_vfs *g_wc_base;
static sqlite3_vfs g_wc_vfs;
static sqlite3_io_methods g_wc_methods;
static const char *g_vfs_name; /* NULL: SQLite's default VFS, as SQLite writes */

static int wc_flush(wc_file *f) {
    f->flush_after_next = 0;
    if (f->count == 0) return SQLITE_OK;
    int length = f->count;
    f->count = 0;
    return f->real->pMethods->xWrite(f->real, f->bytes, length, f->offset);
}

static int wc_is_commit_header(const unsigned char *data, int count) {
    int page = count - WC_FRAME_HEADER;
    if (count != WC_FRAME_HEADER && !(page >= 512 && page <= 65536 && (page & (page - 1)) == 0)) return 0;
    return (data[4] | data[5] | data[6] | data[7]) != 0;
}

static int wc_write(sqlite3_file *file, const void *data, int count, sqlite3_int64 offset) {
    wc_file *f = (wc_file *)file;
    if (!f->is_wal) return f->real->pMethods->xWrite(f->real, data, count, offset);
    if (f->count > 0 && (offset != f->offset + f->count || f->count + count > WC_CAPACITY)) {
        int flush_after = f->flush_after_next;
        int rc = wc_flush(f);
        if (rc != SQLITE_OK) return rc;
        f->flush_after_next = flush_after;
    }
    if (count > WC_CAPACITY) {
        f->flush_after_next = 0;
        return f->real->pMethods->xWrite(f->real, data, count, offset);
    }
    if (f->bytes == NULL && (f->bytes = malloc(WC_CAPACITY)) == NULL) return SQLITE_NOMEM;
    if (f->count == 0) f->offset = offset;
    memcpy(f->bytes + f->count, data, (size_t)count);
    f->count += count;
    if (f->flush_after_next) return wc_flush(f);
    if (wc_is_commit_header(data, count)) {
        if (count == WC_FRAME_HEADER) f->flush_after_next = 1;
        else return wc_flush(f);
    }
    return SQLITE_OK;
}

static int wc_close(sqlite3_file *file) {
    wc_file *f = (wc_file *)file;
    int flushed = wc_flush(f);
    if (f->is_wal) {
        pthread_mutex_lock(&g_wc_lock);
        for (wc_file **link = &g_wc_wals; *link; link = &(*link)->next_open)
            if (*link == f) {
                *link = f->next_open;
                break;
            }
        pthread_mutex_unlock(&g_wc_lock);
    }
    free(f->wal_path);
    free(f->bytes);
    int rc = f->real->pMethods->xClose(f->real);
    return flushed != SQLITE_OK ? flushed : rc;
}
#define WC_FLUSH_FIRST(f) do { int flushed_ = wc_flush(f); if (flushed_ != SQLITE_OK) return flushed_; } while (0)
static int wc_read(sqlite3_file *file, void *data, int count, sqlite3_int64 offset) {
    wc_file *f = (wc_file *)file;
    WC_FLUSH_FIRST(f);
    return f->real->pMethods->xRead(f->real, data, count, offset);
}
static int wc_truncate(sqlite3_file *file, sqlite3_int64 size) {
    wc_file *f = (wc_file *)file;
    WC_FLUSH_FIRST(f);
    return f->real->pMethods->xTruncate(f->real, size);
}
static int wc_sync(sqlite3_file *file, int flags) {
    wc_file *f = (wc_file *)file;
    WC_FLUSH_FIRST(f);
    return f->real->pMethods->xSync(f->real, flags);
}
static int wc_file_size(sqlite3_file *file, sqlite3_int64 *size) {
    wc_file *f = (wc_file *)file;
    WC_FLUSH_FIRST(f);
    return f->real->pMethods->xFileSize(f->real, size);
}
static int wc_lock(sqlite3_file *file, int level) { return ((wc_file *)file)->real->pMethods->xLock(((wc_file *)file)->real, level); }
static int wc_unlock(sqlite3_file *file, int level) { return ((wc_file *)file)->real->pMethods->xUnlock(((wc_file *)file)->real, level); }
static int wc_check_reserved(sqlite3_file *file, int *out) {
    return ((wc_file *)file)->real->pMethods->xCheckReservedLock(((wc_file *)file)->real, out);
}
static int wc_file_control(sqlite3_file *file, int op, void *arg) {
    return ((wc_file *)file)->real->pMethods->xFileControl(((wc_file *)file)->real, op, arg);
}
static int wc_sector_size(sqlite3_file *file) { return ((wc_file *)file)->real->pMethods->xSectorSize(((wc_file *)file)->real); }
static int wc_device(sqlite3_file *file) {
    return ((wc_file *)file)->real->pMethods->xDeviceCharacteristics(((wc_file *)file)->real);
}
static int wc_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **out) {
    return ((wc_file *)file)->real->pMethods->xShmMap(((wc_file *)file)->real, region, size, extend, out);
}
/* Before a database file releases the WAL write lock (slot 0): a rolled-back transaction's
 * spilled frames still in its WAL's buffer are written now, under the lock, beyond the last
 * commit, and not later over frames another connection commits (WALWriteCombiningVFS's
 * File.willUnlock). Only the lock holder has anything buffered. */
static int wc_shm_lock(sqlite3_file *file, int offset, int count, int flags) {
    wc_file *f = (wc_file *)file;
    if (offset == 0 && (flags & SQLITE_SHM_UNLOCK) && f->is_db) {
        pthread_mutex_lock(&g_wc_lock);
        for (wc_file *wal = g_wc_wals; wal; wal = wal->next_open)
            if (wal->count > 0 && strcmp(wal->wal_path, f->wal_path) == 0) (void)wc_flush(wal);
        pthread_mutex_unlock(&g_wc_lock);
    }
    return f->real->pMethods->xShmLock(f->real, offset, count, flags);
}
static void wc_shm_barrier(sqlite3_file *file) { ((wc_file *)file)->real->pMethods->xShmBarrier(((wc_file *)file)->real); }
static int wc_shm_unmap(sqlite3_file *file, int delete_flag) {
    return ((wc_file *)file)->real->pMethods->xShmUnmap(((wc_file *)file)->real, delete_flag);
}
static int wc_fetch(sqlite3_file *file, sqlite3_int64 offset, int count, void **out) {
    return ((wc_file *)file)->real->pMethods->xFetch(((wc_file *)file)->real, offset, count, out);
}
static int wc_unfetch(sqlite3_file *file, sqlite3_int64 offset, void *pointer) {
    return ((wc_file *)file)->real->pMethods->xUnfetch(((wc_file *)file)->real, offset, pointer);
}

static int wc_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out_flags) {
    (void)vfs;
    wc_file *f = (wc_file *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)&f[1];
    int rc = g_wc_base->xOpen(g_wc_base, name, f->real, flags, out_flags);
    if (f->real->pMethods == NULL) return rc; /* SQLite calls xClose only when pMethods is set */
    f->base.pMethods = &g_wc_methods;
    if (rc != SQLITE_OK || name == NULL) return rc;
    if (flags & SQLITE_OPEN_WAL) {
        f->is_wal = 1;
        f->wal_path = strdup(name);
        pthread_mutex_lock(&g_wc_lock);
        f->next_open = g_wc_wals;
        g_wc_wals = f;
        pthread_mutex_unlock(&g_wc_lock);
    } else if (flags & SQLITE_OPEN_MAIN_DB) {
        f->is_db = 1;
        f->wal_path = strdup(sqlite3_filename_wal(name));
    }
    if ((f->is_wal || f->is_db) && f->wal_path == NULL) die("out of memory for a WAL path");
    return rc;
}

/* The unix VFS's other methods ignore the sqlite3_vfs they are given, so they are copied as they are. */
static void wc_register(void) {
    g_wc_base = sqlite3_vfs_find(NULL);
    if (g_wc_base == NULL) die("sqlite3_vfs_find: no default VFS");
    g_wc_vfs = *g_wc_base;
    g_wc_vfs.pNext = NULL;
    g_wc_vfs.zName = "floor-combining-wal";
    g_wc_vfs.szOsFile = (int)sizeof(wc_file) + g_wc_base->szOsFile;
    g_wc_vfs.xOpen = wc_open;
    g_wc_methods = (sqlite3_io_methods){3, wc_close, wc_read, wc_write, wc_truncate, wc_sync, wc_file_size, wc_lock,
                                        wc_unlock, wc_check_reserved, wc_file_control, wc_sector_size, wc_device,
                                        wc_shm_map, wc_shm_lock, wc_shm_barrier, wc_shm_unmap, wc_fetch, wc_unfetch};
    int rc = sqlite3_vfs_register(&g_wc_vfs, 0);
    if (rc != SQLITE_OK) die("sqlite3_vfs_register: %s", sqlite3_errstr(rc));
    g_vfs_name = g_wc_vfs.zName;
}

/* A connection with the library's setup (LogDatabase.configure), to a new file with `create`. */
static sqlite3 *open_connection(const struct options *opt, int create) {
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(g_db_path, &db,
                             SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX,
                             g_vfs_name);
    if (rc != SQLITE_OK) die("sqlite3_open_v2(%s): %s", g_db_path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));

    /* Before anything takes a lock, as the library installs its busy handler when it opens: the
     * consumer opens while the producer writes, and reading the journal mode can meet a lock. */
    check(db, sqlite3_busy_timeout(db, 5000), SQLITE_OK, "sqlite3_busy_timeout(5000)");

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
    return db;
}

/* A fresh database with the library's connection setup, schema and one open topic. */
static sqlite3 *open_fresh(const struct options *opt) {
    remove_db_files(); /* leftovers of a previous run: every run starts from an empty file */
    sqlite3 *db = open_connection(opt, 1);

    /* Every migration as the library applies it: in order, each in one IMMEDIATE transaction
     * recording its version, so that the floor measures the library's current schema. */
    struct dirent **entries;
    int found = scandir(opt->migrations, &entries, is_migration, alphasort);
    if (found < 0) die("cannot list %s: %s (use --migrations DIR)", opt->migrations, strerror(errno));
    if (found == 0) die("no vNNNN_*.sql migrations in %s (use --migrations DIR)", opt->migrations);
    for (int i = 0; i < found; i++) {
        char *script = read_text_file(opt->migrations, entries[i]->d_name);
        char version[64];
        snprintf(version, sizeof version, "PRAGMA user_version=%d", atoi(entries[i]->d_name + 1));
        exec(db, SQL_BEGIN);
        exec(db, script);
        exec(db, version);
        exec(db, SQL_COMMIT);
        free(script);
        free(entries[i]);
    }
    free(entries);

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
    char *with_table = replace_all(template, "{table}", sql);
    snprintf(sql, sizeof sql, "%d", TOPIC_ID);
    char *create = replace_all(with_table, "{id}", sql); /* the table and its trigger */
    exec(db, create);
    exec(db, SQL_COMMIT);
    free(create);
    free(with_table);
    free(template);
    return db;
}

static void close_and_remove(sqlite3 *db) {
    check(db, sqlite3_close(db), SQLITE_OK, "sqlite3_close");
    remove_db_files();
}

/* ---- workloads ---------------------------------------------------------------------------- */

/* `extra`: more key=value fields after count (each with a leading space), or "". */
static void report(const char *workload, long batch, long size, long count, const char *extra,
                   double seconds, double rate, const char *unit) {
    printf("floor %s batch=%ld size=%ld count=%ld%s%s seconds=%.3f rate=%.*f unit=%s\n", workload,
           batch, size, count, extra, g_vfs_name ? " wal=combined" : "", seconds, strcmp(unit, "MB/s") == 0 ? 1 : 0,
           rate, unit);
    fflush(stdout);
}

/* The first seq and the time of the topic's next batch, inside the write transaction
 * (LogDatabase.nextSeqAndTime): read from the topic's row and its newest event, written nowhere.
 * The time is now, or the newest event's when the clock went back. */
static int64_t next_seq_and_time(sqlite3 *db, sqlite3_stmt *next, int64_t *event_time) {
    check(db, sqlite3_bind_int64(next, 1, TOPIC_ID), SQLITE_OK, SQL_NEXT_SEQ);
    check(db, sqlite3_step(next), SQLITE_ROW, SQL_NEXT_SEQ);
    if (sqlite3_column_int(next, 0) == 0) die("%s: topic closed", SQL_NEXT_SEQ);
    int64_t seq = sqlite3_column_int64(next, 1);
    int64_t last_time = sqlite3_column_int64(next, 2);
    check(db, sqlite3_step(next), SQLITE_DONE, SQL_NEXT_SEQ);
    rewind_stmt(db, next, SQL_NEXT_SEQ);
    int64_t now = now_micros(); /* one clock read per transaction, as the library's */
    *event_time = now > last_time ? now : last_time;
    return seq;
}

/* Appends count events of `size` bytes in transactions of `batch`, exactly as the library's
 * append does: find the batch's first seq, insert the rows, commit. Returns the elapsed
 * seconds. */
static double append_events(sqlite3 *db, long count, long size, long batch) {
    unsigned char *payload = alloc_buffer(size);
    fill_random(payload, (size_t)size);
    sqlite3_stmt *next = prepare(db, SQL_NEXT_SEQ);
    sqlite3_stmt *insert = prepare(db, SQL_APPEND);
    struct multi_row inserts;
    prepare_multi_row(db, &inserts, SQL_APPEND_PREFIX, SQL_APPEND_ROW);
    sqlite3_stmt *begin = prepare(db, SQL_BEGIN);
    sqlite3_stmt *commit = prepare(db, SQL_COMMIT);
    int64_t expected_seq = 1;

    double start = monotonic_seconds();
    for (long done = 0; done < count;) {
        long rows = count - done < batch ? count - done : batch;

        check(db, sqlite3_step(begin), SQLITE_DONE, SQL_BEGIN);
        check(db, sqlite3_reset(begin), SQLITE_OK, SQL_BEGIN);

        int64_t event_time;
        int64_t seq = next_seq_and_time(db, next, &event_time);
        if (seq != expected_seq)
            die("%s: first seq %lld, expected %lld", SQL_NEXT_SEQ, (long long)seq, (long long)expected_seq);

        for (long i = 0; i < rows;) {
            int kind = multi_row_kind(rows - i, size);
            if (kind >= 0) {
                sqlite3_stmt *many = inserts.stmt[kind];
                for (int j = 0; j < MULTI_ROW_SIZES[kind]; j++, seq++) {
                    check(db, sqlite3_bind_int64(many, 4 * j + 1, seq), SQLITE_OK, inserts.sql[kind]);
                    check(db, sqlite3_bind_int64(many, 4 * j + 2, event_time), SQLITE_OK, inserts.sql[kind]);
                    check(db, sqlite3_bind_int64(many, 4 * j + 3, size), SQLITE_OK, inserts.sql[kind]);
                    check(db, sqlite3_bind_blob(many, 4 * j + 4, payload, (int)size, SQLITE_STATIC), SQLITE_OK,
                          inserts.sql[kind]);
                }
                check(db, sqlite3_step(many), SQLITE_DONE, inserts.sql[kind]);
                rewind_stmt(db, many, inserts.sql[kind]);
                i += MULTI_ROW_SIZES[kind];
                continue;
            }
            check(db, sqlite3_bind_int64(insert, 1, seq), SQLITE_OK, SQL_APPEND);
            check(db, sqlite3_bind_int64(insert, 2, event_time), SQLITE_OK, SQL_APPEND);
            check(db, sqlite3_bind_int64(insert, 3, size), SQLITE_OK, SQL_APPEND);
            check(db, sqlite3_bind_blob(insert, 4, payload, (int)size, SQLITE_STATIC), SQLITE_OK,
                  SQL_APPEND);
            check(db, sqlite3_step(insert), SQLITE_DONE, SQL_APPEND);
            rewind_stmt(db, insert, SQL_APPEND);
            i++;
            seq++;
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
    finalize_multi_row(db, &inserts);
    finalize(db, next, SQL_NEXT_SEQ);
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
    report("append", batch, size, count, "", seconds, (double)count / seconds, "rows/s");
}

static void run_read(const struct options *opt, long count, long size, long page) {
    sqlite3 *db = open_fresh(opt);
    /* "Just appended": the same batched append as the append workload, untimed. */
    append_events(db, count, size, DEFAULT_BATCH);
    double seconds = read_events(db, count, size, page);
    close_and_remove(db);
    report("read", page, size, count, "", seconds, (double)count / seconds, "rows/s");
}

/* The stream workload's connection and checkpoint thread, which the blob workload uses too. */
static sqlite3 *open_stream_connection(const struct options *opt);
static void reset_checkpointer(void);
static void stop_checkpointer(void);

/* The library's object keys (ObjectKey.random, KeyGenerator.next): the UUID version 7 layout, 48
 * bits of milliseconds since the epoch (big-endian), the version nibble 7, 12 random bits, the
 * variant bits 10, 62 random bits, all drawn afresh for every key. Leading with the time puts
 * every insert at the right edge of the objects b-tree, as the library's keys do; random keys
 * would land on random pages and make the floor slower than the library. */
static void random_key(unsigned char key[16]) {
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) die("clock_gettime: %s", strerror(errno));
    uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    uint64_t high = (ms << 16) | 0x7000 | (next_random() & 0x0FFF);
    uint64_t low = (next_random() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
    for (int i = 0; i < 8; i++) {
        key[i] = (unsigned char)(high >> (56 - 8 * i));
        key[8 + i] = (unsigned char)(low >> (56 - 8 * i));
    }
}

/* The number of object_chunks rows of an object of `size` bytes: 0 up to ROW_VALUE_LIMIT (the
 * bytes are in its objects row), else ceil(size / CHUNK_SIZE) (ObjectStore.insert). */
static int64_t object_chunks(long size) {
    return size > ROW_VALUE_LIMIT ? (size + CHUNK_SIZE - 1) / CHUNK_SIZE : 0;
}

/* withSmallPageCache: a large object's overflow pages, read or deleted, must not fill the page
 * cache. The library reads the limit with a statement of its own (prepared each time) and sets
 * it with sqlite3_exec; lower_page_cache returns the limit for restore_page_cache. */
static long long lower_page_cache(sqlite3 *db) {
    sqlite3_stmt *cache = prepare(db, SQL_CACHE_SIZE);
    check(db, sqlite3_step(cache), SQLITE_ROW, SQL_CACHE_SIZE);
    long long limit = sqlite3_column_int64(cache, 0);
    check(db, sqlite3_reset(cache), SQLITE_OK, SQL_CACHE_SIZE);
    finalize(db, cache, SQL_CACHE_SIZE);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size = %d", SMALL_CACHE_PAGES);
    exec(db, sql);
    return limit;
}

static void restore_page_cache(sqlite3 *db, long long limit) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size = %lld", limit);
    exec(db, sql);
}

/* The chunks of object `object` (ObjectStore.readChunks): listed by SQL_CHUNKS, each read with
 * incremental blob I/O (Connection.readBlob) straight into `buf` at its offset, while the listing
 * is still stepping. Dies unless they hold exactly `size` bytes in `chunks` pieces. */
static void read_chunks(sqlite3 *db, sqlite3_stmt *list, const unsigned char key[16], unsigned char *buf,
                        int64_t size, int64_t chunks, long object) {
    check(db, sqlite3_bind_blob(list, 1, key, 16, SQLITE_STATIC), SQLITE_OK, SQL_CHUNKS);
    int64_t offset = 0, pieces = 0;
    int rc;
    while ((rc = sqlite3_step(list)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(list, 0);
        int64_t length = sqlite3_column_int64(list, 1);
        if (length > size - offset) die("%s: the chunks of object %ld exceed its %lld bytes", SQL_CHUNKS, object, (long long)size);
        sqlite3_blob *blob = NULL;
        check(db, sqlite3_blob_open(db, "main", "object_chunks", "data", id, 0, &blob), SQLITE_OK,
              "sqlite3_blob_open(object_chunks.data)");
        if (sqlite3_blob_bytes(blob) != length)
            die("sqlite3_blob_bytes: chunk %lld of object %ld holds %d bytes, length() said %lld", (long long)id,
                object, sqlite3_blob_bytes(blob), (long long)length);
        if (length > 0)
            check(db, sqlite3_blob_read(blob, buf + offset, (int)length, 0), SQLITE_OK, "sqlite3_blob_read");
        check(db, sqlite3_blob_close(blob), SQLITE_OK, "sqlite3_blob_close");
        offset += length;
        pieces++;
    }
    check(db, rc, SQLITE_DONE, SQL_CHUNKS);
    rewind_stmt(db, list, SQL_CHUNKS);
    if (offset != size || pieces != chunks)
        die("%s: object %ld has %lld bytes in %lld chunks, expected %lld in %lld", SQL_CHUNKS, object,
            (long long)offset, (long long)pieces, (long long)size, (long long)chunks);
}

/* Objects of `size` bytes put one per transaction as ObjectStore.put does, then fetched back by
 * key as ObjectStore.get does. Up to ROW_VALUE_LIMIT the bytes are in the objects row (chunks =
 * 0); above it the row has data NULL and chunks = ceil(size / CHUNK_SIZE), and the bytes go to
 * object_chunks rows of CHUNK_SIZE (the last one shorter), read back with blob I/O into one
 * buffer of the object's size, under a small page cache from SMALL_CACHE_THRESHOLD on. */
static void run_blob(const struct options *opt, long count, long size) {
    /* The library's checkpoint policy too (a background thread, not SQLite's checkpoint inside
     * every fourth commit of a megabyte): 200 MB through the WAL is where it shows most, and an
     * inline checkpoint would make the floor slower than the library it bounds. */
    sqlite3 *setup = open_fresh(opt);
    check(setup, sqlite3_close(setup), SQLITE_OK, "sqlite3_close");
    reset_checkpointer();
    sqlite3 *db = open_stream_connection(opt);
    unsigned char *data = alloc_buffer(size), *copy = alloc_buffer(size);
    fill_random(data, (size_t)size);
    int64_t chunks = object_chunks(size);
    int chunked = chunks > 0;
    unsigned char (*keys)[16] = malloc((size_t)count * sizeof *keys);
    if (keys == NULL) die("out of memory for %ld keys", count);
    sqlite3_stmt *begin = prepare(db, SQL_BEGIN);
    sqlite3_stmt *begin_read = prepare(db, SQL_BEGIN_READ);
    sqlite3_stmt *commit = prepare(db, SQL_COMMIT);
    sqlite3_stmt *put = prepare(db, SQL_PUT);
    sqlite3_stmt *put_chunk = prepare(db, SQL_CHUNK_PUT);
    sqlite3_stmt *get = prepare(db, SQL_GET);
    sqlite3_stmt *list = prepare(db, SQL_CHUNKS);

    double start = monotonic_seconds();
    for (long i = 0; i < count; i++) {
        random_key(keys[i]);
        check(db, sqlite3_step(begin), SQLITE_DONE, SQL_BEGIN);
        check(db, sqlite3_reset(begin), SQLITE_OK, SQL_BEGIN);
        /* The row first, so that a key already taken fails before any chunk is written. */
        check(db, sqlite3_bind_blob(put, 1, keys[i], 16, SQLITE_STATIC), SQLITE_OK, SQL_PUT);
        check(db, sqlite3_bind_int64(put, 2, size), SQLITE_OK, SQL_PUT);
        check(db, sqlite3_bind_text(put, 3, "bytes", 5, SQLITE_STATIC), SQLITE_OK, SQL_PUT);
        check(db, sqlite3_bind_int64(put, 4, now_micros()), SQLITE_OK, SQL_PUT);
        check(db, sqlite3_bind_int64(put, 5, chunks), SQLITE_OK, SQL_PUT);
        if (chunked) check(db, sqlite3_bind_null(put, 6), SQLITE_OK, SQL_PUT);
        else check(db, sqlite3_bind_blob(put, 6, data, (int)size, SQLITE_STATIC), SQLITE_OK, SQL_PUT);
        check(db, sqlite3_step(put), SQLITE_DONE, SQL_PUT);
        rewind_stmt(db, put, SQL_PUT);
        for (long offset = 0, idx = 0; chunked && offset < size; offset += CHUNK_SIZE, idx++) {
            long length = size - offset < CHUNK_SIZE ? size - offset : CHUNK_SIZE;
            check(db, sqlite3_bind_blob(put_chunk, 1, keys[i], 16, SQLITE_STATIC), SQLITE_OK, SQL_CHUNK_PUT);
            check(db, sqlite3_bind_int64(put_chunk, 2, idx), SQLITE_OK, SQL_CHUNK_PUT);
            check(db, sqlite3_bind_blob(put_chunk, 3, data + offset, (int)length, SQLITE_STATIC), SQLITE_OK,
                  SQL_CHUNK_PUT);
            check(db, sqlite3_step(put_chunk), SQLITE_DONE, SQL_CHUNK_PUT);
            rewind_stmt(db, put_chunk, SQL_CHUNK_PUT);
        }
        check(db, sqlite3_step(commit), SQLITE_DONE, SQL_COMMIT);
        check(db, sqlite3_reset(commit), SQLITE_OK, SQL_COMMIT);
    }
    double put_seconds = monotonic_seconds() - start;

    uint64_t sink = 0;
    start = monotonic_seconds();
    for (long i = 0; i < count; i++) {
        /* One snapshot for the row and its chunks, so that an eviction cannot cut the object. */
        check(db, sqlite3_step(begin_read), SQLITE_DONE, SQL_BEGIN_READ);
        check(db, sqlite3_reset(begin_read), SQLITE_OK, SQL_BEGIN_READ);
        /* One lookup: a value kept in its row comes with the header. As the library's queryOne,
         * one step, then reset before the chunks are read. */
        check(db, sqlite3_bind_blob(get, 1, keys[i], 16, SQLITE_STATIC), SQLITE_OK, SQL_GET);
        check(db, sqlite3_step(get), SQLITE_ROW, SQL_GET); /* no row: the object is missing */
        int64_t got_size = sqlite3_column_int64(get, 0);
        const unsigned char *encoding = sqlite3_column_text(get, 1);
        int64_t got_chunks = sqlite3_column_int64(get, 2);
        int in_row = sqlite3_column_type(get, 3) != SQLITE_NULL;
        if (got_size != size || got_chunks != chunks || encoding == NULL || in_row == chunked)
            die("%s: unexpected object %ld", SQL_GET, i);
        if (in_row) {
            const void *blob = sqlite3_column_blob(get, 3);
            int blob_len = sqlite3_column_bytes(get, 3);
            if (blob_len != size) die("%s: object %ld holds %d bytes in its row, expected %ld", SQL_GET, i, blob_len, size);
            if (blob_len > 0) memcpy(copy, blob, (size_t)blob_len);
        }
        rewind_stmt(db, get, SQL_GET);
        if (chunked && size >= SMALL_CACHE_THRESHOLD) {
            long long limit = lower_page_cache(db);
            read_chunks(db, list, keys[i], copy, size, chunks, i);
            restore_page_cache(db, limit);
        } else if (chunked) {
            read_chunks(db, list, keys[i], copy, size, chunks, i);
        }
        check(db, sqlite3_step(commit), SQLITE_DONE, SQL_COMMIT);
        check(db, sqlite3_reset(commit), SQLITE_OK, SQL_COMMIT);
        sink += (uint64_t)got_chunks + copy[0];
    }
    double get_seconds = monotonic_seconds() - start;
    g_sink = sink;
    /* Untimed: the last object read back is the one written, its chunks in order. */
    if (count > 0 && memcmp(copy, data, (size_t)size) != 0) die("%s: object %ld read back differs", SQL_GET, count - 1);

    finalize(db, list, SQL_CHUNKS);
    finalize(db, get, SQL_GET);
    finalize(db, put_chunk, SQL_CHUNK_PUT);
    finalize(db, put, SQL_PUT);
    finalize(db, commit, SQL_COMMIT);
    finalize(db, begin_read, SQL_BEGIN_READ);
    finalize(db, begin, SQL_BEGIN);
    stop_checkpointer();
    close_and_remove(db);
    free(keys);
    free(copy);
    free(data);

    double megabytes = (double)count * (double)size / 1e6;
    report("blob-put", 1, size, count, "", put_seconds, megabytes / put_seconds, "MB/s");
    report("blob-get", 1, size, count, "", get_seconds, megabytes / get_seconds, "MB/s");
}

/* ---- the stream workload ------------------------------------------------------------------ */

/* The library's busy handler (BusyHandler): yield, then sleep 20 us growing to 1 ms, and give up
 * once `timeout` seconds have passed since the first attempt of this wait. */
struct busy_wait {
    double timeout, start;
};

static int busy_handler(void *context, int attempt) {
    struct busy_wait *wait = context;
    double now = monotonic_seconds();
    if (attempt == 0) wait->start = now;
    if (now - wait->start >= wait->timeout) return 0;
    if (attempt < 4) sched_yield();
    else if (attempt < 40) sleep_micros(20);
    else if (attempt < 200) sleep_micros(100);
    else sleep_micros(1000);
    return 1;
}

/* The Checkpointer of this process's connection: the WAL hook asks for a checkpoint once the WAL
 * holds CHECKPOINT_PAGES pages (once per CHECKPOINT_PAGES of growth), and a thread with a
 * connection of its own runs it, PASSIVE then RESTART; past CHECKPOINT_HARD_LIMIT the committing
 * connection checkpoints itself. One per process, started on the first request, as the
 * library's (one per LogDatabase). */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int requested, stopped, started;
    int requested_at, inline_at;
    pthread_t thread;
    long passive_busy; /* PASSIVE refused: the other process's checkpointer was at work */
} g_checkpointer = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0, 0, 0};

static struct busy_wait g_busy_wait = {BUSY_TIMEOUT_SECONDS, 0};
static struct busy_wait g_restart_wait = {RESTART_WAIT_SECONDS, 0};

static void *checkpoint_thread(void *unused) {
    (void)unused;
    static const char passive[] = "sqlite3_wal_checkpoint_v2(PASSIVE)";
    static const char restart[] = "sqlite3_wal_checkpoint_v2(RESTART)";
    sqlite3 *db = NULL;
    for (;;) {
        pthread_mutex_lock(&g_checkpointer.lock);
        while (!g_checkpointer.requested && !g_checkpointer.stopped)
            pthread_cond_wait(&g_checkpointer.wake, &g_checkpointer.lock);
        int done = g_checkpointer.stopped;
        g_checkpointer.requested = 0;
        pthread_mutex_unlock(&g_checkpointer.lock);
        if (done) break;

        if (db == NULL) {
            /* No pragmas, as the library's: only the short busy handler, which bounds how long a
             * RESTART holds writers back. */
            int rc = sqlite3_open_v2(g_db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, g_vfs_name);
            if (rc != SQLITE_OK) die("checkpointer: sqlite3_open_v2(%s): %s", g_db_path, sqlite3_errstr(rc));
            check(db, sqlite3_busy_handler(db, busy_handler, &g_restart_wait), SQLITE_OK, "sqlite3_busy_handler");
            /* A connection opens the WAL on its first read; until then a checkpoint on it does
             * nothing at all (and reports a WAL of -1 frames). */
            exec(db, SQL_SCHEMA_READ);
        }
        int log = 0, copied = 0;
        int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
        if (rc == SQLITE_BUSY) {
            /* Another process holds the checkpoint lock (the library drops its connection here and
             * opens a new one on the next request; the floor keeps it). */
            g_checkpointer.passive_busy++;
            continue;
        }
        check(db, rc, SQLITE_OK, passive);
        if (log < CHECKPOINT_RESTART) continue; /* short enough: left to PASSIVE */
        rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_RESTART, &log, &copied);
        if (rc != SQLITE_BUSY) check(db, rc, SQLITE_OK, restart);
    }
    if (db != NULL) check(db, sqlite3_close(db), SQLITE_OK, "sqlite3_close (checkpointer)");
    return NULL;
}

/* Once per CHECKPOINT_PAGES of WAL growth: the WAL only shrinks when a writer restarts it, so
 * every commit until then would ask again. */
static void request_checkpoint(int pages) {
    pthread_mutex_lock(&g_checkpointer.lock);
    if (pages < g_checkpointer.requested_at) g_checkpointer.requested_at = 0; /* the WAL was restarted */
    if (!g_checkpointer.stopped &&
        (g_checkpointer.requested_at == 0 || pages >= g_checkpointer.requested_at + CHECKPOINT_PAGES)) {
        g_checkpointer.requested_at = pages;
        g_checkpointer.requested = 1;
        if (!g_checkpointer.started) {
            int rc = pthread_create(&g_checkpointer.thread, NULL, checkpoint_thread, NULL);
            if (rc != 0) die("pthread_create: %s", strerror(rc));
            g_checkpointer.started = 1;
        }
        pthread_cond_signal(&g_checkpointer.wake);
    }
    pthread_mutex_unlock(&g_checkpointer.lock);
}

/* Past the hard limit (the thread cannot keep up), once per CHECKPOINT_PAGES of growth. */
static int should_checkpoint_inline(int pages) {
    pthread_mutex_lock(&g_checkpointer.lock);
    if (pages < g_checkpointer.inline_at) g_checkpointer.inline_at = 0;
    int inline_now = pages >= CHECKPOINT_HARD_LIMIT &&
                     (g_checkpointer.inline_at == 0 || pages >= g_checkpointer.inline_at + CHECKPOINT_PAGES);
    if (inline_now) g_checkpointer.inline_at = pages;
    pthread_mutex_unlock(&g_checkpointer.lock);
    return inline_now;
}

static int wal_hook(void *context, sqlite3 *db, const char *name, int pages) {
    (void)context;
    (void)name;
    if (should_checkpoint_inline(pages))
        sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    else if (pages >= CHECKPOINT_PAGES)
        request_checkpoint(pages);
    return SQLITE_OK;
}

/* Stops the thread after any checkpoint under way (LogDatabase.close). */
static void stop_checkpointer(void) {
    pthread_mutex_lock(&g_checkpointer.lock);
    g_checkpointer.stopped = 1;
    pthread_cond_signal(&g_checkpointer.wake);
    int started = g_checkpointer.started;
    pthread_mutex_unlock(&g_checkpointer.lock);
    if (started) {
        int rc = pthread_join(g_checkpointer.thread, NULL);
        if (rc != 0) die("pthread_join: %s", strerror(rc));
    }
}

/* Ready for a new run (a previous run's thread, if any, is joined). */
static void reset_checkpointer(void) {
    g_checkpointer.requested = g_checkpointer.stopped = g_checkpointer.started = 0;
    g_checkpointer.requested_at = g_checkpointer.inline_at = 0;
    g_checkpointer.passive_busy = 0;
}

/* A producer's or consumer's connection to the existing file: the floor's setup plus the
 * library's checkpoint policy (LogDatabase.configure, Checkpointer.attach) and busy handler
 * (which replaces the busy timeout). */
static sqlite3 *open_stream_connection(const struct options *opt) {
    sqlite3 *db = open_connection(opt, 0);
    exec(db, "PRAGMA wal_autocheckpoint=0");
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA journal_size_limit=%ld", WAL_SIZE_LIMIT);
    exec(db, sql);
    check(db, sqlite3_busy_handler(db, busy_handler, &g_busy_wait), SQLITE_OK, "sqlite3_busy_handler");
    sqlite3_wal_hook(db, wal_hook, NULL);
    return db;
}

/* BEGIN IMMEDIATE, retried while SQLite reports SQLITE_BUSY without waiting in the busy handler
 * (Connection.beginImmediate), for at most the busy timeout. */
static void begin_immediate(sqlite3 *db, sqlite3_stmt *begin) {
    double start = -1;
    for (;;) {
        int rc = sqlite3_step(begin);
        sqlite3_reset(begin);
        if (rc == SQLITE_DONE) return;
        if (rc != SQLITE_BUSY) check(db, rc, SQLITE_DONE, SQL_BEGIN);
        double now = monotonic_seconds();
        if (start < 0) start = now;
        else if (now - start >= BUSY_TIMEOUT_SECONDS) check(db, rc, SQLITE_DONE, SQL_BEGIN);
        sched_yield();
    }
}

static void commit_transaction(sqlite3 *db, sqlite3_stmt *commit) {
    check(db, sqlite3_step(commit), SQLITE_DONE, SQL_COMMIT);
    check(db, sqlite3_reset(commit), SQLITE_OK, SQL_COMMIT);
}

/* Time-ordered keys in the UUID version 7 layout, as KeyGenerator: 48 bits of milliseconds
 * (big-endian), the version nibble 7, 12 bits, the variant bits 10, 62 bits. Within one
 * millisecond the low 62 bits count up from a random start (61 random bits: no overflow), so
 * keys are strictly increasing in this process. */
static uint64_t g_key_ms, g_key_b;
static unsigned g_key_a;

static void next_key(unsigned char key[16]) {
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) die("clock_gettime: %s", strerror(errno));
    uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    if (ms > g_key_ms) {
        g_key_ms = ms;
        g_key_a = (unsigned)(next_random() & 0x0FFF);
        g_key_b = next_random() >> 3;
    } else {
        g_key_b++; /* the same millisecond (or the clock stepped back): keep counting */
    }
    for (int i = 0; i < 6; i++) key[i] = (unsigned char)(g_key_ms >> (40 - 8 * i));
    key[6] = (unsigned char)(0x70 | (g_key_a >> 8));
    key[7] = (unsigned char)(g_key_a & 0xFF);
    key[8] = (unsigned char)(0x80 | ((g_key_b >> 56) & 0x3F));
    for (int i = 9; i < 16; i++) key[i] = (unsigned char)(g_key_b >> (8 * (15 - i)));
}

/* What the consumer tells the parent through the pipe. */
struct consumer_report {
    int kind; /* REPORT_READY or REPORT_DONE */
    long received;
    double finished_at; /* CLOCK_MONOTONIC seconds (one clock for every process of the host) */
    double p50, p99;    /* latency workload: microseconds from send to the consumer holding the object */
};
enum { REPORT_READY = 1, REPORT_DONE = 2 };

static void write_report(int fd, int kind, long received, double finished_at, double p50, double p99) {
    struct consumer_report report = {kind, received, finished_at, p50, p99};
    const char *p = (const char *)&report;
    for (size_t left = sizeof report; left > 0;) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("write to the parent: %s", strerror(errno));
        p += n;
        left -= (size_t)n;
    }
}

static struct consumer_report read_report(int fd, int kind) {
    struct consumer_report report;
    char *p = (char *)&report;
    for (size_t left = sizeof report; left > 0;) {
        ssize_t n = read(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("read from the consumer: %s", strerror(errno));
        if (n == 0) {
            /* The consumer failed (it said why on stderr) or was killed. */
            int status = 0;
            pid_t child = g_child;
            g_child = 0;
            while (child > 0 && waitpid(child, &status, 0) < 0 && errno == EINTR) {}
            if (WIFSIGNALED(status)) die("the consumer process was killed by signal %d", WTERMSIG(status));
            die("the consumer process exited early (status %d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        }
        p += n;
        left -= (size_t)n;
    }
    if (report.kind != kind) die("the consumer sent report %d, expected %d", report.kind, kind);
    return report;
}

/* The producer: StreamProducer flushing to the file's own store (SQLitePublisher). */
struct producer {
    sqlite3 *db;
    sqlite3_stmt *begin, *commit, *put, *put_chunk, *next, *event, *is_closed, *close;
    struct multi_row puts, events; /* SQL_OBJECT_PUT and SQL_EVENT, many rows at once */
    const unsigned char *data;
    long size;
    int64_t chunks; /* 0: each object is kept in its row; else the chunks of every object */
    int evict;
    unsigned char (*keys)[16];
    int64_t next_seq;
};

/* Binds row `row` of an object insert of one or more rows (SQL_OBJECT_PUT, or its multi-row
 * form): `key`, the producer's object (data NULL when it is chunked), `created`. */
static void bind_object_row(struct producer *p, sqlite3_stmt *put, const char *sql, int row,
                            const unsigned char key[16], int64_t created) {
    sqlite3 *db = p->db;
    int c = 6 * row;
    check(db, sqlite3_bind_blob(put, c + 1, key, 16, SQLITE_STATIC), SQLITE_OK, sql);
    check(db, sqlite3_bind_int64(put, c + 2, p->size), SQLITE_OK, sql);
    check(db, sqlite3_bind_text(put, c + 3, "bytes", 5, SQLITE_STATIC), SQLITE_OK, sql);
    check(db, sqlite3_bind_int64(put, c + 4, created), SQLITE_OK, sql);
    check(db, sqlite3_bind_int64(put, c + 5, p->chunks), SQLITE_OK, sql);
    if (p->chunks > 0) check(db, sqlite3_bind_null(put, c + 6), SQLITE_OK, sql);
    else check(db, sqlite3_bind_blob(put, c + 6, p->data, (int)p->size, SQLITE_STATIC), SQLITE_OK, sql);
}

/* Binds row `row` of an event insert of one or more rows (SQL_EVENT, or its multi-row form):
 * the key event of `key`, or the end-of-stream event when `key` is NULL. */
static void bind_event_row(struct producer *p, sqlite3_stmt *insert, const char *sql, int row, int64_t seq,
                           int64_t event_time, const unsigned char *key) {
    sqlite3 *db = p->db;
    int c = 10 * row, object = key != NULL;
    check(db, sqlite3_bind_int64(insert, c + 1, seq), SQLITE_OK, sql);
    check(db, sqlite3_bind_int(insert, c + 2, object ? 0 : 1), SQLITE_OK, sql);
    check(db, sqlite3_bind_int64(insert, c + 3, event_time), SQLITE_OK, sql);
    check(db, sqlite3_bind_int(insert, c + 4, object ? p->evict : 0), SQLITE_OK, sql);
    if (object) check(db, sqlite3_bind_text(insert, c + 5, "bytes", 5, SQLITE_STATIC), SQLITE_OK, sql);
    else check(db, sqlite3_bind_null(insert, c + 5), SQLITE_OK, sql);
    check(db, sqlite3_bind_int64(insert, c + 6, object ? p->size : 0), SQLITE_OK, sql);
    check(db, sqlite3_bind_null(insert, c + 7), SQLITE_OK, sql);
    if (object) check(db, sqlite3_bind_blob(insert, c + 8, key, 16, SQLITE_STATIC), SQLITE_OK, sql);
    else check(db, sqlite3_bind_null(insert, c + 8), SQLITE_OK, sql);
    check(db, sqlite3_bind_null(insert, c + 9), SQLITE_OK, sql);
    check(db, sqlite3_bind_null(insert, c + 10), SQLITE_OK, sql);
}

/* One flush (LogDatabase.append(_:objects:to:)): the batch's objects, then its seqs, then its
 * events, in one transaction. An object over ROW_VALUE_LIMIT is its row with data NULL followed
 * by its chunks, as ObjectStore.insert writes it. With `end_of_stream`, the end-of-stream event
 * comes last and closes the topic; with no objects too, this is LogDatabase.closeTopic, which
 * checks first that the topic is open. */
static void flush_batch(struct producer *p, long objects, int end_of_stream) {
    sqlite3 *db = p->db;
    begin_immediate(db, p->begin);

    if (objects == 0 && end_of_stream) {
        check(db, sqlite3_bind_int64(p->is_closed, 1, TOPIC_ID), SQLITE_OK, SQL_IS_CLOSED);
        check(db, sqlite3_step(p->is_closed), SQLITE_ROW, SQL_IS_CLOSED);
        if (sqlite3_column_int(p->is_closed, 0) != 0) die("%s: topic already closed", SQL_IS_CLOSED);
        rewind_stmt(db, p->is_closed, SQL_IS_CLOSED);
    }

    for (long i = 0; i < objects;) {
        /* Objects kept whole in their rows and small enough go many to a statement, the others
         * one by one, each row before its chunks (ObjectStore.insert). */
        int kind = p->chunks == 0 ? multi_row_kind(objects - i, p->size) : -1;
        int n = kind >= 0 ? MULTI_ROW_SIZES[kind] : 1;
        sqlite3_stmt *put = kind >= 0 ? p->puts.stmt[kind] : p->put;
        const char *sql = kind >= 0 ? p->puts.sql[kind] : SQL_OBJECT_PUT;
        int64_t created = now_micros(); /* one clock read per statement, as the library's */
        for (int j = 0; j < n; j++) {
            next_key(p->keys[i + j]);
            bind_object_row(p, put, sql, j, p->keys[i + j], created);
        }
        check(db, sqlite3_step(put), SQLITE_DONE, sql);
        rewind_stmt(db, put, sql);
        /* A key already taken failed above, before any chunk was written. Then the chunks of
         * CHUNK_SIZE, the last one shorter (insertChunk). */
        for (long offset = 0, idx = 0; p->chunks > 0 && offset < p->size; offset += CHUNK_SIZE, idx++) {
            long length = p->size - offset < CHUNK_SIZE ? p->size - offset : CHUNK_SIZE;
            check(db, sqlite3_bind_blob(p->put_chunk, 1, p->keys[i], 16, SQLITE_STATIC), SQLITE_OK, SQL_CHUNK_PUT);
            check(db, sqlite3_bind_int64(p->put_chunk, 2, idx), SQLITE_OK, SQL_CHUNK_PUT);
            check(db, sqlite3_bind_blob(p->put_chunk, 3, p->data + offset, (int)length, SQLITE_STATIC), SQLITE_OK,
                  SQL_CHUNK_PUT);
            check(db, sqlite3_step(p->put_chunk), SQLITE_DONE, SQL_CHUNK_PUT);
            rewind_stmt(db, p->put_chunk, SQL_CHUNK_PUT);
        }
        i += n;
    }

    long rows = objects + (end_of_stream ? 1 : 0);
    int64_t event_time; /* the batch time: never earlier than the last */
    int64_t seq = next_seq_and_time(db, p->next, &event_time);
    if (seq != p->next_seq)
        die("%s: first seq %lld, expected %lld", SQL_NEXT_SEQ, (long long)seq, (long long)p->next_seq);
    p->next_seq += rows;

    /* Every parameter is bound for every row; the statements are only reset in between. Key
     * events (no payload) go many to a statement (LogDatabase.appendRows). */
    sqlite3_stmt *event = p->event;
    for (long i = 0; i < rows;) {
        int kind = multi_row_kind(rows - i, 0);
        int n = kind >= 0 ? MULTI_ROW_SIZES[kind] : 1;
        sqlite3_stmt *insert = kind >= 0 ? p->events.stmt[kind] : event;
        const char *sql = kind >= 0 ? p->events.sql[kind] : SQL_EVENT;
        for (int j = 0; j < n; j++)
            bind_event_row(p, insert, sql, j, seq + j, event_time, i + j < objects ? p->keys[i + j] : NULL);
        check(db, sqlite3_step(insert), SQLITE_DONE, sql);
        /* As the library's: the one-row statement keeps its bindings until the batch is done. */
        if (kind >= 0) rewind_stmt(db, insert, sql);
        else check(db, sqlite3_reset(insert), SQLITE_OK, sql);
        i += n;
        seq += n;
    }
    check(db, sqlite3_clear_bindings(event), SQLITE_OK, SQL_EVENT);

    if (end_of_stream) {
        check(db, sqlite3_bind_int64(p->close, 1, TOPIC_ID), SQLITE_OK, SQL_CLOSE);
        check(db, sqlite3_bind_int64(p->close, 2, event_time), SQLITE_OK, SQL_CLOSE);
        check(db, sqlite3_step(p->close), SQLITE_DONE, SQL_CLOSE);
        if (sqlite3_changes(db) != 1) die("%s: no topic %d", SQL_CLOSE, TOPIC_ID);
        rewind_stmt(db, p->close, SQL_CLOSE);
    }
    commit_transaction(db, p->commit);
}

/* The eviction run not yet committed: every evictable object of seqs first...last was read.
 * `may_be_chunked` once an object of it was fetched on its own (EvictionRun.mayBeChunked): its
 * objects may have chunks, `chunks` of them in all. */
struct eviction_run {
    int64_t first, last;
    long objects;
    int may_be_chunked;
    int64_t chunks;
};

/* The consumer's connection and statements, and the one buffer its large objects are read into. */
struct consumer {
    sqlite3 *db;
    sqlite3_stmt *select, *version, *begin, *commit, *evict, *evict_chunks, *begin_read, *get, *list;
    unsigned char *object;   /* NULL unless the objects are too large for the page */
    long size;
    int64_t chunks;
    int watch;               /* latency workload: the inotify descriptor (-1: none) */
    int dropped_events;      /* events were dropped after an eviction commit: wait at most 1 ms */
};

/* One transaction deleting the run's objects (commitConsumption). A run of objects read whole
 * with their page skips the object_chunks statement, as the library does; a run with a fetched
 * object deletes the chunks first, under a small page cache (deleting a large object reads its
 * overflow pages for their links). */
static void commit_evictions(struct consumer *c, struct eviction_run *run) {
    sqlite3 *db = c->db;
    begin_immediate(db, c->begin);
    long long limit = run->may_be_chunked ? lower_page_cache(db) : 0;
    if (run->may_be_chunked) {
        check(db, sqlite3_bind_int64(c->evict_chunks, 1, run->first), SQLITE_OK, SQL_EVICT_CHUNKS);
        check(db, sqlite3_bind_int64(c->evict_chunks, 2, run->last), SQLITE_OK, SQL_EVICT_CHUNKS);
        check(db, sqlite3_step(c->evict_chunks), SQLITE_DONE, SQL_EVICT_CHUNKS);
        if (sqlite3_changes(db) != run->chunks)
            die("%s: deleted %d chunks of seqs %lld...%lld, expected %lld", SQL_EVICT_CHUNKS, sqlite3_changes(db),
                (long long)run->first, (long long)run->last, (long long)run->chunks);
        rewind_stmt(db, c->evict_chunks, SQL_EVICT_CHUNKS);
    }
    check(db, sqlite3_bind_int64(c->evict, 1, run->first), SQLITE_OK, SQL_EVICT);
    check(db, sqlite3_bind_int64(c->evict, 2, run->last), SQLITE_OK, SQL_EVICT);
    check(db, sqlite3_step(c->evict), SQLITE_DONE, SQL_EVICT);
    if (sqlite3_changes(db) != run->objects)
        die("%s: deleted %d objects of seqs %lld...%lld, expected %ld", SQL_EVICT, sqlite3_changes(db),
            (long long)run->first, (long long)run->last, run->objects);
    rewind_stmt(db, c->evict, SQL_EVICT);
    /* The library restores the cache before its write transaction commits. */
    if (run->may_be_chunked) restore_page_cache(db, limit);
    commit_transaction(db, c->commit);
    run->objects = 0;
    run->may_be_chunked = 0;
    run->chunks = 0;
    /* The commit queued a wakeup for this very consumer: drop it, as CommitWaiter does (the
     * caller looks at data_version before it waits, and the wait lasts at most 1 ms, in case
     * another connection's event went with it). */
#ifdef __linux__
    if (c->watch >= 0) {
        char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        while (read(c->watch, events, sizeof events) > 0) {}
        c->dropped_events = 1;
    }
#endif
}

static int64_t data_version(sqlite3 *db, sqlite3_stmt *stmt) {
    check(db, sqlite3_step(stmt), SQLITE_ROW, SQL_DATA_VERSION);
    int64_t version = sqlite3_column_int64(stmt, 0);
    check(db, sqlite3_reset(stmt), SQLITE_OK, SQL_DATA_VERSION);
    return version;
}

/* A row of a page as the subscriber keeps it until delivery, with its object copied out, or
 * (too large for the page) its key, to fetch the object with on delivery. */
struct page_row {
    int64_t seq;
    int type, evictable;
    unsigned char *object; /* NULL: the object is fetched on delivery */
    unsigned char key[16];
};

/* The fetch of an object too large for the page (SQLiteSubscriber.fetchObject, ObjectStore.get):
 * one read transaction for its row and its chunks, the chunks read by blob I/O into c->object,
 * under a small page cache from SMALL_CACHE_THRESHOLD on. */
static void fetch_object(struct consumer *c, const unsigned char key[16], int64_t seq) {
    sqlite3 *db = c->db;
    /* One snapshot for the row and its chunks, so that an eviction cannot cut the object. */
    check(db, sqlite3_step(c->begin_read), SQLITE_DONE, SQL_BEGIN_READ);
    check(db, sqlite3_reset(c->begin_read), SQLITE_OK, SQL_BEGIN_READ);
    /* As the library's queryOne: one step, then reset before the chunks are read. */
    check(db, sqlite3_bind_blob(c->get, 1, key, 16, SQLITE_STATIC), SQLITE_OK, SQL_GET);
    check(db, sqlite3_step(c->get), SQLITE_ROW, SQL_GET); /* no row: the object is missing */
    int64_t got_size = sqlite3_column_int64(c->get, 0);
    const unsigned char *encoding = sqlite3_column_text(c->get, 1);
    int64_t got_chunks = sqlite3_column_int64(c->get, 2);
    int in_row = sqlite3_column_type(c->get, 3) != SQLITE_NULL;
    if (got_size != c->size || got_chunks != c->chunks || encoding == NULL || in_row)
        die("%s: unexpected object for seq %lld", SQL_GET, (long long)seq);
    rewind_stmt(db, c->get, SQL_GET);
    if (c->size >= SMALL_CACHE_THRESHOLD) {
        long long limit = lower_page_cache(db);
        read_chunks(db, c->list, key, c->object, c->size, c->chunks, (long)seq);
        restore_page_cache(db, limit);
    } else {
        read_chunks(db, c->list, key, c->object, c->size, c->chunks, (long)seq);
    }
    commit_transaction(db, c->commit);
}

/* The latency workload's consumer waits as SQLiteSubscriber does when idle (DESIGN.md's recipe):
 * asleep on inotify IN_MODIFY of the WAL for up to 100 ms (the safety net), or 1 ms after its
 * own eviction commit dropped the queued events (commit_evictions); after a wakeup it
 * drains the events and, when data_version has not moved (the WAL write that woke it can precede
 * the commit becoming visible), yields for up to 50 µs looking again, then sleeps 150 µs and
 * returns (the caller looks once more). The watch stays for the whole run, so a commit between
 * the caller's look and the poll is still queued. */
static void wait_for_commit(struct consumer *c, int watch, int64_t last_version) {
#ifdef __linux__
    struct pollfd pfd = {watch, POLLIN, 0};
    int n = poll(&pfd, 1, c->dropped_events ? 1 : 100);
    c->dropped_events = 0;
    if (n < 0 && errno != EINTR) die("poll: %s", strerror(errno));
    if (n <= 0) return;
    char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(watch, events, sizeof events) > 0) {}
    if (errno != EAGAIN && errno != EWOULDBLOCK) die("read of the inotify events: %s", strerror(errno));
    if (data_version(c->db, c->version) != last_version) return;
    for (double end = monotonic_seconds() + 50e-6; monotonic_seconds() < end;) {
        sched_yield();
        if (data_version(c->db, c->version) != last_version) return;
    }
    sleep_micros(150);
#else
    (void)c, (void)watch, (void)last_version;
    die("--wait inotify needs Linux");
#endif
}

/* The send time the latency workload's producer wrote into the object's first 8 bytes. */
static int64_t sent_at(const unsigned char *object) {
    int64_t micros;
    memcpy(&micros, object, sizeof micros);
    return micros;
}

static int compare_int64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The `p` percentile of n sorted figures, as StreamBenchmarks.latency takes it: index n·p. */
static double percentile(const int64_t *sorted, long n, double p) {
    long index = (long)((double)n * p);
    return (double)sorted[index < n ? index : n - 1];
}

/* The consumer process: an anonymous SQLiteSubscriber under StreamConsumer.nextObject, reading
 * to the end of stream. Its own connection, opened after the fork. Objects up to PREFETCH_LIMIT
 * come with their page; larger ones are fetched one by one on delivery, as the library's. Reports
 * ready, then the time the last object was read and evicted. Never returns. */
static _Noreturn void run_consumer(const struct options *opt, int out, long count, long size, int latency) {
    g_is_child = 1;
#ifdef __linux__
    /* Die with the parent, and remove the files then (see on_signal). */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) die("prctl: %s", strerror(errno));
    if (getppid() != g_parent) raise(SIGTERM);
#endif
    struct consumer c = {0};
    c.watch = -1;
    c.db = open_stream_connection(opt);
    sqlite3 *db = c.db;
    c.select = prepare(db, SQL_PAGE);
    c.version = prepare(db, SQL_DATA_VERSION);
    c.begin = prepare(db, SQL_BEGIN);
    c.commit = prepare(db, SQL_COMMIT);
    c.evict = prepare(db, SQL_EVICT);
    c.evict_chunks = prepare(db, SQL_EVICT_CHUNKS);
    c.begin_read = prepare(db, SQL_BEGIN_READ);
    c.get = prepare(db, SQL_GET);
    c.list = prepare(db, SQL_CHUNKS);
    c.size = size;
    c.chunks = object_chunks(size);
    /* Too large for the page (the join's t.size <= ?3 fails): every object is fetched on its own.
     * The library makes a Data of the object's size per fetch; the floor allocates nothing per
     * event and reads every large object into this one buffer, sized to the object. */
    int large = size > PREFETCH_LIMIT;
    if (large) c.object = alloc_buffer(size);
    struct page_row *page = calloc(STREAM_PAGE, sizeof *page);
    if (page == NULL) die("out of memory for a page");
    /* Latency: one figure per object, and the WAL watched from before the first send. */
    int64_t *latencies = NULL;
    int watch = -1;
    if (latency) {
        latencies = calloc((size_t)count, sizeof *latencies);
        if (latencies == NULL) die("out of memory for %ld latencies", count);
#ifdef __linux__
        if (!opt->wait_spin) {
            watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
            if (watch < 0) die("inotify_init1: %s", strerror(errno));
            if (inotify_add_watch(watch, g_db_files[1], IN_MODIFY) < 0)
                die("inotify_add_watch(%s): %s", g_db_files[1], strerror(errno));
            c.watch = watch;
        }
#else
        if (!opt->wait_spin) die("--wait inotify needs Linux");
#endif
    }
    write_report(out, REPORT_READY, 0, 0, 0, 0);

    int64_t cursor = 0, last_version = -1;
    struct eviction_run run = {0, 0, 0, 0, 0};
    long received = 0;
    uint64_t sink = 0;
    for (int finished = 0; !finished;) {
        /* Nothing committed since the last empty read: wait. The library waits on inotify; the
         * throughput floor spins, the best case for wakeups; the latency floor waits as told. */
        int64_t version = data_version(db, c.version);
        if (version == last_version) {
            if (watch >= 0) wait_for_commit(&c, watch, last_version);
            else sched_yield();
            continue;
        }

        /* Read the page, copying each small object out (the library makes a Data of each). */
        sqlite3_stmt *select = c.select;
        check(db, sqlite3_bind_int64(select, 1, cursor), SQLITE_OK, SQL_PAGE);
        check(db, sqlite3_bind_int64(select, 2, STREAM_PAGE), SQLITE_OK, SQL_PAGE);
        check(db, sqlite3_bind_int64(select, 3, PREFETCH_LIMIT), SQLITE_OK, SQL_PAGE);
        long rows = 0;
        long page_bytes = 0;
        int rc = SQLITE_DONE;
        while (page_bytes < PAGE_BYTE_BUDGET && (rc = sqlite3_step(select)) == SQLITE_ROW) {
            struct page_row *row = &page[rows++];
            row->seq = sqlite3_column_int64(select, 0);
            row->type = sqlite3_column_int(select, 1);
            int64_t event_time = sqlite3_column_int64(select, 2);
            int evict_flag = sqlite3_column_int(select, 3);
            const unsigned char *encoding = sqlite3_column_text(select, 4);
            int64_t row_size = sqlite3_column_int64(select, 5);
            const void *payload = sqlite3_column_blob(select, 6);
            const void *key = sqlite3_column_blob(select, 7);
            int key_len = sqlite3_column_bytes(select, 7);
            int has_store = sqlite3_column_type(select, 8) != SQLITE_NULL;
            const unsigned char *metadata = sqlite3_column_text(select, 9);
            int has_data = sqlite3_column_type(select, 10) != SQLITE_NULL; /* NULL: no object joined */
            const void *data = sqlite3_column_blob(select, 10);
            int data_len = sqlite3_column_bytes(select, 10);
            const unsigned char *object_encoding = sqlite3_column_text(select, 11);
            row->object = NULL;
            row->evictable = 0;
            if (row->type == 1) {
                if (key != NULL || payload != NULL) die("%s: unexpected end of stream at seq %lld", SQL_PAGE, (long long)row->seq);
                continue;
            }
            /* A small object is joined; a large one is not (its row has no object columns). */
            if (row->type != 0 || key_len != 16 || has_store || payload != NULL || metadata != NULL ||
                row_size != size || encoding == NULL || has_data == large || data_len != (large ? 0 : size) ||
                (object_encoding == NULL) != large || evict_flag != !opt->no_evict)
                die("%s: unexpected row at seq %lld", SQL_PAGE, (long long)row->seq);
            if (large) {
                memcpy(row->key, key, 16); /* the page's statement is reset before delivery */
            } else {
                row->object = alloc_buffer(size);
                if (data_len > 0) memcpy(row->object, data, (size_t)data_len);
                sink += object_encoding[0];
            }
            row->evictable = evict_flag;
            page_bytes += data_len;
            sink += (uint64_t)event_time + (uint64_t)encoding[0];
        }
        if (page_bytes < PAGE_BYTE_BUDGET) check(db, rc, SQLITE_DONE, SQL_PAGE);
        rewind_stmt(db, select, SQL_PAGE);

        if (rows == 0) {
            /* Caught up: remember the version, and commit what was read meanwhile. */
            last_version = version;
            if (run.objects > 0) commit_evictions(&c, &run);
            continue;
        }

        /* Deliver the page, fetching each large object as it is delivered. */
        for (long i = 0; i < rows; i++) {
            struct page_row *row = &page[i];
            cursor = row->seq;
            if (row->type == 1) {
                if (i != rows - 1) die("%s: end of stream at seq %lld is not last", SQL_PAGE, (long long)row->seq);
                finished = 1;
                break;
            }
            int64_t sent = 0;
            if (large) {
                fetch_object(&c, row->key, row->seq);
                sink += c.object[0];
                if (latency) sent = sent_at(c.object);
            } else {
                if (size > 0) sink += row->object[0];
                if (latency) sent = sent_at(row->object);
                free(row->object);
            }
            if (latency && received >= count) die("more than %ld objects", count);
            received++;
            if (row->evictable) {
                if (run.objects > 0 && row->seq != run.last + 1)
                    die("eviction run %lld...%lld cannot grow to %lld", (long long)run.first, (long long)run.last,
                        (long long)row->seq);
                if (run.objects == 0) run.first = row->seq;
                run.last = row->seq;
                run.objects++;
                /* Fetched on its own, not from the page: the run may hold chunks (recordEviction). */
                if (large) {
                    run.may_be_chunked = 1;
                    run.chunks += c.chunks;
                }
                /* A full batch, or an idle stream: the page is delivered and nobody has committed
                 * since it was read (SQLiteSubscriber.fetchObject). */
                if (run.objects >= EVICTION_BATCH || (i == rows - 1 && data_version(db, c.version) == version))
                    commit_evictions(&c, &run);
            }
            /* nextObject returns here: the object is held, and a lone one's eviction committed. */
            if (latency) latencies[received - 1] = now_micros() - sent;
        }
    }
    /* End of stream: the last evictions commit before nextObject returns nil. */
    if (run.objects > 0) commit_evictions(&c, &run);
    double finished_at = monotonic_seconds();
    g_sink = sink;
    double p50 = 0, p99 = 0;
    if (latency && received > 0) {
        qsort(latencies, (size_t)received, sizeof *latencies, compare_int64);
        p50 = percentile(latencies, received, 0.5);
        p99 = percentile(latencies, received, 0.99);
    }
    write_report(out, REPORT_DONE, received, finished_at, p50, p99);

    stop_checkpointer();
    finalize(db, c.list, SQL_CHUNKS);
    finalize(db, c.get, SQL_GET);
    finalize(db, c.begin_read, SQL_BEGIN_READ);
    finalize(db, c.evict_chunks, SQL_EVICT_CHUNKS);
    finalize(db, c.evict, SQL_EVICT);
    finalize(db, c.commit, SQL_COMMIT);
    finalize(db, c.begin, SQL_BEGIN);
    finalize(db, c.version, SQL_DATA_VERSION);
    finalize(db, c.select, SQL_PAGE);
    check(db, sqlite3_close(db), SQLITE_OK, "sqlite3_close");
    free(c.object);
    free(page);
    free(latencies);
    if (watch >= 0) close(watch);
    close(out);
    _exit(0);
}

static int64_t count_rows(sqlite3 *db, const char *sql) {
    sqlite3_stmt *stmt = prepare(db, sql);
    check(db, sqlite3_step(stmt), SQLITE_ROW, sql);
    int64_t n = sqlite3_column_int64(stmt, 0);
    finalize(db, stmt, sql);
    return n;
}

/* A store-backed stream across two processes on one fresh file: this process produces (as
 * StreamBenchmarks.throughput with placement store), a forked one consumes. Timed from the first
 * producer transaction to the consumer's eviction of the last object. With `interval` >= 0 (the
 * latency workload, batch 1), the producer sends one object every `interval` µs with its send
 * time in its first 8 bytes (StreamBenchmarks.latency) and the consumer reports percentiles. */
static void run_stream(const struct options *opt, long count, long size, long batch, long interval) {
    int latency = interval >= 0;
    if (latency && size < (long)sizeof(int64_t)) die("latency: --size must be at least 8 (the send time goes in the object)");
    sqlite3 *setup = open_fresh(opt);
    /* No connection crosses the fork: each process opens its own afterwards. */
    check(setup, sqlite3_close(setup), SQLITE_OK, "sqlite3_close");

    int fds[2];
    if (pipe(fds) != 0) die("pipe: %s", strerror(errno));
    reset_checkpointer();
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) die("fork: %s", strerror(errno));
    if (pid == 0) {
        close(fds[0]);
        run_consumer(opt, fds[1], count, size, latency);
    }
    g_child = pid;
    close(fds[1]);

    struct producer p = {0};
    p.db = open_stream_connection(opt);
    p.begin = prepare(p.db, SQL_BEGIN);
    p.commit = prepare(p.db, SQL_COMMIT);
    p.put = prepare(p.db, SQL_OBJECT_PUT);
    p.put_chunk = prepare(p.db, SQL_CHUNK_PUT);
    p.next = prepare(p.db, SQL_NEXT_SEQ);
    p.event = prepare(p.db, SQL_EVENT);
    prepare_multi_row(p.db, &p.puts, SQL_OBJECT_PUT_PREFIX, SQL_OBJECT_PUT_ROW);
    prepare_multi_row(p.db, &p.events, SQL_APPEND_PREFIX, SQL_EVENT_ROW);
    p.is_closed = prepare(p.db, SQL_IS_CLOSED);
    p.close = prepare(p.db, SQL_CLOSE);
    unsigned char *data = alloc_buffer(size);
    memset(data, 0x62, (size_t)size); /* the library's benchmark payload */
    p.data = data;
    p.size = size;
    p.chunks = object_chunks(size);
    p.evict = !opt->no_evict;
    p.keys = malloc((size_t)batch * sizeof *p.keys);
    if (p.keys == NULL) die("out of memory for %ld keys", batch);
    p.next_seq = 1;
    read_report(fds[0], REPORT_READY);

    double start = monotonic_seconds();
    long done = 0;
    if (latency) {
        for (; done < count; done++) {
            int64_t now = now_micros();
            memcpy(data, &now, sizeof now);
            flush_batch(&p, 1, 0);
            sleep_micros(interval);
        }
    } else {
        for (; count - done >= batch; done += batch) flush_batch(&p, batch, 0);
    }
    /* Closing the topic: the end-of-stream event goes with what is still buffered, or alone in a
     * transaction of its own (StreamProducer.close(topics:)). */
    flush_batch(&p, count - done, 1);

    /* The producer closes its database meanwhile (which stops its checkpointer); the consumer's
     * finish time ends the measurement. */
    stop_checkpointer();
    finalize(p.db, p.close, SQL_CLOSE);
    finalize(p.db, p.is_closed, SQL_IS_CLOSED);
    finalize(p.db, p.event, SQL_EVENT);
    finalize_multi_row(p.db, &p.events);
    finalize_multi_row(p.db, &p.puts);
    finalize(p.db, p.next, SQL_NEXT_SEQ);
    finalize(p.db, p.put_chunk, SQL_CHUNK_PUT);
    finalize(p.db, p.put, SQL_OBJECT_PUT);
    finalize(p.db, p.commit, SQL_COMMIT);
    finalize(p.db, p.begin, SQL_BEGIN);
    check(p.db, sqlite3_close(p.db), SQLITE_OK, "sqlite3_close");
    free(p.keys);
    free(data);

    struct consumer_report finish = read_report(fds[0], REPORT_DONE);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) die("waitpid: %s", strerror(errno));
    g_child = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("the consumer process failed (status %d)", status);
    if (finish.received != count) die("the consumer read %ld objects, expected %ld", finish.received, count);
    double seconds = finish.finished_at - start;

    /* Every object evicted with its chunks, or with --no-evict every object kept; every event there. */
    sqlite3 *db = open_connection(opt, 0);
    int64_t objects = count_rows(db, "SELECT count(*) FROM objects");
    int64_t chunks = count_rows(db, "SELECT count(*) FROM object_chunks");
    int64_t events = count_rows(db, "SELECT count(*) FROM topic_1");
    int64_t expected = opt->no_evict ? count : 0;
    int64_t expected_chunks = expected * object_chunks(size);
    if (objects != expected) die("%lld objects left in the store after the stream, expected %lld", (long long)objects, (long long)expected);
    if (chunks != expected_chunks)
        die("%lld chunks left in the store after the stream, expected %lld", (long long)chunks, (long long)expected_chunks);
    if (events != count + 1) die("%lld events in the topic, expected %ld", (long long)events, count + 1);
    close_and_remove(db);

    if (latency) {
        const char *evict = opt->no_evict ? " evict=false" : "";
        const char *wait = opt->wait_spin ? "spin" : "inotify";
        printf("floor latency-p50 size=%ld placement=store%s wait=%s samples=%ld interval_us=%ld seconds=0 rate=%.0f unit=us\n",
               size, evict, wait, count, interval, finish.p50);
        printf("floor latency-p99 size=%ld placement=store%s wait=%s samples=%ld interval_us=%ld seconds=0 rate=%.0f unit=us\n",
               size, evict, wait, count, interval, finish.p99);
        fflush(stdout);
        return;
    }
    report("stream", batch, size, count, opt->no_evict ? " placement=store evict=false" : " placement=store",
           seconds, (double)count / seconds, "objects/s");
}

/* ---- command line ------------------------------------------------------------------------- */

static void usage(FILE *out) {
    fprintf(out,
            "usage: floor [options]\n"
            "  --workload all|append|read|blob|stream|latency  (default all)\n"
            "  --count N      events or objects; defaults: append %ld (%ld at batch 1), read %ld,\n"
            "                 blob %ld, stream %ld, latency %ld\n"
            "  --size BYTES   payload size; defaults: events and stream objects %ld, blobs %ld;\n"
            "                 stream objects up to %ld are read with their page, larger ones\n"
            "                 fetched one by one; objects over %ld bytes are stored in chunks\n"
            "                 of up to %ld\n"
            "  --batch N      append: rows per transaction (default: runs %ld, then 1);\n"
            "                 read: rows per page (default %ld);\n"
            "                 stream: objects per producer transaction (default %ld)\n"
            "  --no-evict     stream, latency: send the objects with evict=false (the consumer\n"
            "                 deletes nothing; the line says evict=false)\n"
            "  --interval US  latency: microseconds between sends (default %ld)\n"
            "  --wait inotify|spin  latency: how the idle consumer waits (default inotify)\n"
            "  --repeat K     run each workload K times, each on a fresh database (default 1)\n"
            "  --sync normal|full  PRAGMA synchronous (default normal)\n"
            "  --wal-writes sqlite|combined  WAL frames written as SQLite writes them, two calls a\n"
            "                 page (default), or collected and written per commit in 64 KiB\n"
            "                 pieces as the library's WALWriteCombiningVFS (lines say wal=combined)\n"
            "  --db PATH      database file (must not exist; removed after each run);\n"
            "                 default: a fresh file in a temporary directory\n"
            "  --migrations DIR  folder of the vNNNN_*.sql migrations and topic_table.sql\n"
            "                 (default Migrations)\n"
            "--count, --size and --batch apply to every workload that runs: with them, select one.\n"
            "\n"
            "stream: a producer process and a consumer process (fork) on one fresh file, as\n"
            "StreamLog's store-backed stream: per transaction the producer puts `batch` objects\n"
            "into the file's object store (time-ordered keys) and appends their key events, then\n"
            "closes the topic; the consumer reads pages of %ld events joined with their objects,\n"
            "copies each object out (one too large for the page is fetched on its own, in a read\n"
            "transaction, as the library's) and deletes the objects it read in seq ranges (up to\n"
            "%ld per transaction, or when it catches up; their chunks first when they were fetched),\n"
            "spinning on PRAGMA data_version while idle.\n"
            "Both use the library's busy handler, wal_autocheckpoint=0 and its background\n"
            "checkpoint thread (PASSIVE, then RESTART once the WAL holds %d pages). Timed from the\n"
            "producer's first transaction to the consumer's eviction of the last object.\n"
            "\n"
            "latency: the stream's processes with one object per transaction, --interval apart, the\n"
            "send time (CLOCK_REALTIME, before BEGIN) in the object's first 8 bytes; each object is\n"
            "timed to when the consumer holds it with its eviction committed (nextObject returning).\n"
            "The consumer waits as the library's idle one: on inotify IN_MODIFY of the WAL, then a\n"
            "50 us yielding look and a 150 us sleep when the wakeup saw no commit; --wait spin\n"
            "spins on data_version instead (no wakeup cost: what SQLite alone costs). Prints p50 and\n"
            "p99 lines, rate in microseconds.\n",
            DEFAULT_APPEND_COUNT, DEFAULT_APPEND_SINGLE_COUNT, DEFAULT_APPEND_COUNT,
            DEFAULT_BLOB_COUNT, DEFAULT_STREAM_COUNT, DEFAULT_LATENCY_COUNT, DEFAULT_EVENT_SIZE, DEFAULT_BLOB_SIZE,
            PREFETCH_LIMIT, ROW_VALUE_LIMIT, CHUNK_SIZE, DEFAULT_BATCH, READ_PAGE, DEFAULT_STREAM_BATCH,
            DEFAULT_LATENCY_INTERVAL, STREAM_PAGE, EVICTION_BATCH, CHECKPOINT_RESTART);
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
                            .repeat = 1, .migrations = "Migrations", .interval = -1};
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
        if (strcmp(name, "--no-evict") == 0) { /* a flag: no value */
            if (value) die("--no-evict takes no value");
            opt->no_evict = 1;
            continue;
        }
        if (value) value++;
        else if (i + 1 < argc) value = argv[++i];
        else die("%s needs a value", name);

        if (strcmp(name, "--workload") == 0) {
            if (strcmp(value, "all") && strcmp(value, "append") && strcmp(value, "read") &&
                strcmp(value, "blob") && strcmp(value, "stream") && strcmp(value, "latency"))
                die("--workload: expected all, append, read, blob, stream or latency, got '%s'", value);
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
        } else if (strcmp(name, "--wal-writes") == 0) {
            if (strcmp(value, "sqlite") && strcmp(value, "combined"))
                die("--wal-writes: expected sqlite or combined, got '%s'", value);
            opt->combine_wal_writes = strcmp(value, "combined") == 0;
        } else if (strcmp(name, "--interval") == 0) {
            opt->interval = parse_long(name, value, 0, 10000000L);
        } else if (strcmp(name, "--wait") == 0) {
            if (strcmp(value, "inotify") && strcmp(value, "spin"))
                die("--wait: expected inotify or spin, got '%s'", value);
            opt->wait_spin = strcmp(value, "spin") == 0;
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
    if (opt.combine_wal_writes) wc_register();
    g_parent = getpid();
    install_signal_handlers();

    /* The database path. A given one must be new: each run deletes its files, and deleting a
     * file the user already had would be a nasty surprise. */
    if (opt.db != NULL) {
        if (strlen(opt.db) >= sizeof g_db_path) die("--db: path too long");
        if (access(opt.db, F_OK) == 0) die("--db: %s already exists; give a new path", opt.db);
        set_db_path(opt.db);
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
        char path[sizeof g_db_path];
        snprintf(path, sizeof path, "%s/floor.db", g_tmp_dir);
        set_db_path(path);
    }

    int all = strcmp(opt.workload, "all") == 0;
    int stream = all || strcmp(opt.workload, "stream") == 0;
    int latency = all || strcmp(opt.workload, "latency") == 0;
    long event_size = or_default(opt.size, DEFAULT_EVENT_SIZE);
    if (opt.no_evict && !stream && !latency) die("--no-evict: only the stream and latency workloads evict");
    if (!latency && (opt.interval >= 0 || opt.wait_spin)) die("--interval, --wait: latency workload only");
    if (latency && opt.batch >= 0 && !all) die("--batch: the latency workload sends one object per transaction");

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

    if (stream)
        for (long r = 0; r < opt.repeat; r++)
            run_stream(&opt, or_default(opt.count, DEFAULT_STREAM_COUNT), event_size,
                       or_default(opt.batch, DEFAULT_STREAM_BATCH), -1);
    if (latency)
        for (long r = 0; r < opt.repeat; r++)
            run_stream(&opt, or_default(opt.count, DEFAULT_LATENCY_COUNT), event_size, 1,
                       or_default(opt.interval, DEFAULT_LATENCY_INTERVAL));

    cleanup();
    return 0;
}

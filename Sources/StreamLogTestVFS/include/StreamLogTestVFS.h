#ifndef STREAMLOG_TEST_VFS_H
#define STREAMLOG_TEST_VFS_H

// A recording SQLite VFS for the power-loss tests (Tests/StreamLogTests/Reliability).
//
// It wraps the default VFS ("unix") under the name STREAMLOG_TEST_VFS_NAME and, while recording,
// logs every write, truncate, sync and delete (and shared-memory barrier) of the files SQLite opens through it (the database,
// its WAL, a rollback journal; not the -shm index, which SQLite rebuilds after a crash), with the
// bytes written. A test replays that log up to any point, keeping only what each file had synced
// (and, in a harsher mode, part of the last unsynced write): the files a power loss at that point
// could leave behind.

#include <stdint.h>

#define STREAMLOG_TEST_VFS_NAME "streamlog-powerloss"

enum {
    STREAMLOG_TEST_VFS_WRITE = 1,
    STREAMLOG_TEST_VFS_TRUNCATE = 2,
    STREAMLOG_TEST_VFS_SYNC = 3,
    STREAMLOG_TEST_VFS_DELETE = 4,
    /// A database file's shared-memory barrier: SQLite calls it while it publishes a commit in
    /// the WAL index (so a process crash just after it must find the commit in the files).
    STREAMLOG_TEST_VFS_BARRIER = 5,
};

/// Registers the VFS (not as the default); harmless when called again. Returns an SQLite result code.
int streamlog_test_vfs_register(void);

/// Forgets everything recorded and starts recording.
void streamlog_test_vfs_start(void);

/// Stops recording (the VFS keeps working).
void streamlog_test_vfs_stop(void);

/// The number of operations recorded.
int64_t streamlog_test_vfs_operation_count(void);

/// Operation `index`: its kind, its file, and for a write the offset and bytes (valid until the
/// next `streamlog_test_vfs_start`), for a truncate the new size in `offset`. Returns 0 when
/// `index` is out of range.
int streamlog_test_vfs_operation(int64_t index, int *kind, int *file, int64_t *offset, const void **bytes,
                                 int64_t *length);

/// The number of distinct files recorded, and the full path of file `file` (0-based).
int streamlog_test_vfs_file_count(void);
const char *streamlog_test_vfs_file_name(int file);

/// Makes the next write to a WAL (through this VFS) fail with SQLITE_FULL, writing nothing; later
/// writes succeed again. For tests of what a failed write leaves.
void streamlog_test_vfs_fail_next_wal_write(void);

/// Whether files opened through this VFS report SQLITE_IOCAP_POWERSAFE_OVERWRITE (1, the
/// default, as the real VFS) or not (0: SQLite then pads each commit to a sector boundary).
void streamlog_test_vfs_set_powersafe_overwrite(int on);

#endif

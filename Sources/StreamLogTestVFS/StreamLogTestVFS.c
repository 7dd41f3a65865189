// A recording VFS wrapping the default one: see include/StreamLogTestVFS.h.

#include "StreamLogTestVFS.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int kind;
    int file;
    int64_t offset;
    int64_t length;
    void *bytes;
} Operation;

// The log, guarded by `lock`.
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int recording;
static Operation *operations;
static int64_t operationCount, operationCapacity;
static char **fileNames;
static int fileCount, fileCapacity;
// Whether the next write to a WAL fails with SQLITE_FULL (one shot).
static int failNextWALWrite;
// Whether files report SQLITE_IOCAP_POWERSAFE_OVERWRITE (as the real VFS does) or not.
static int powersafeOverwrite = 1;

static sqlite3_vfs *realVFS;
static sqlite3_vfs recordingVFS;

typedef struct {
    sqlite3_file base;
    int file;  // index into fileNames, or -1 for files not recorded (temporary files)
    int isWAL;
    sqlite3_file *real;
} RecordingFile;

// Both called with `lock` held.
static int fileIndex(const char *name) {
    for (int index = 0; index < fileCount; index++) {
        if (strcmp(fileNames[index], name) == 0) return index;
    }
    if (fileCount == fileCapacity) {
        fileCapacity = fileCapacity ? fileCapacity * 2 : 8;
        fileNames = realloc(fileNames, sizeof(char *) * (size_t)fileCapacity);
    }
    fileNames[fileCount] = strdup(name);
    return fileCount++;
}

static void append(int kind, int file, int64_t offset, const void *bytes, int64_t length) {
    if (operationCount == operationCapacity) {
        operationCapacity = operationCapacity ? operationCapacity * 2 : 1024;
        operations = realloc(operations, sizeof(Operation) * (size_t)operationCapacity);
    }
    Operation *operation = &operations[operationCount++];
    operation->kind = kind;
    operation->file = file;
    operation->offset = offset;
    operation->length = length;
    operation->bytes = NULL;
    if (bytes && length > 0) {
        operation->bytes = malloc((size_t)length);
        memcpy(operation->bytes, bytes, (size_t)length);
    }
}

static void record(RecordingFile *file, int kind, int64_t offset, const void *bytes, int64_t length) {
    if (file->file < 0) return;
    pthread_mutex_lock(&lock);
    if (recording) append(kind, file->file, offset, bytes, length);
    pthread_mutex_unlock(&lock);
}

// MARK: File methods: record, then forward to the real file.

static int fileClose(sqlite3_file *file) {
    RecordingFile *recorded = (RecordingFile *)file;
    return recorded->real->pMethods->xClose(recorded->real);
}

static int fileRead(sqlite3_file *file, void *buffer, int amount, sqlite3_int64 offset) {
    sqlite3_file *real = ((RecordingFile *)file)->real;
    return real->pMethods->xRead(real, buffer, amount, offset);
}

static int fileWrite(sqlite3_file *file, const void *buffer, int amount, sqlite3_int64 offset) {
    RecordingFile *recorded = (RecordingFile *)file;
    if (recorded->isWAL) {
        pthread_mutex_lock(&lock);
        int fail = failNextWALWrite;
        failNextWALWrite = 0;
        pthread_mutex_unlock(&lock);
        if (fail) return SQLITE_FULL;
    }
    record(recorded, STREAMLOG_TEST_VFS_WRITE, offset, buffer, amount);
    return recorded->real->pMethods->xWrite(recorded->real, buffer, amount, offset);
}

static int fileTruncate(sqlite3_file *file, sqlite3_int64 size) {
    RecordingFile *recorded = (RecordingFile *)file;
    record(recorded, STREAMLOG_TEST_VFS_TRUNCATE, size, NULL, 0);
    return recorded->real->pMethods->xTruncate(recorded->real, size);
}

static int fileSync(sqlite3_file *file, int flags) {
    RecordingFile *recorded = (RecordingFile *)file;
    int rc = recorded->real->pMethods->xSync(recorded->real, flags);
    // A sync that failed made nothing durable.
    if (rc == SQLITE_OK) record(recorded, STREAMLOG_TEST_VFS_SYNC, 0, NULL, 0);
    return rc;
}

static int fileSize(sqlite3_file *file, sqlite3_int64 *size) {
    sqlite3_file *real = ((RecordingFile *)file)->real;
    return real->pMethods->xFileSize(real, size);
}

static int fileLock(sqlite3_file *file, int level) {
    sqlite3_file *real = ((RecordingFile *)file)->real;
    return real->pMethods->xLock(real, level);
}

static int fileUnlock(sqlite3_file *file, int level) {
    sqlite3_file *real = ((RecordingFile *)file)->real;
    return real->pMethods->xUnlock(real, level);
}

static int fileCheckReservedLock(sqlite3_file *file, int *result) {
    sqlite3_file *real = ((RecordingFile *)file)->real;
    return real->pMethods->xCheckReservedLock(real, result);
}

static int fileControl(sqlite3_file *file, int operation, void *argument) {
    sqlite3_file *real = ((RecordingFile *)file)->real;
    return real->pMethods->xFileControl(real, operation, argument);
}

static int fileSectorSize(sqlite3_file *file) {
    sqlite3_file *real = ((RecordingFile *)file)->real;
    return real->pMethods->xSectorSize(real);
}

static int fileDeviceCharacteristics(sqlite3_file *file) {
    sqlite3_file *real = ((RecordingFile *)file)->real;
    int characteristics = real->pMethods->xDeviceCharacteristics(real);
    pthread_mutex_lock(&lock);
    int powersafe = powersafeOverwrite;
    pthread_mutex_unlock(&lock);
    return powersafe ? characteristics : characteristics & ~SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

static int fileShmMap(sqlite3_file *file, int region, int size, int extend, void volatile **memory) {
    sqlite3_file *real = ((RecordingFile *)file)->real;
    return real->pMethods->xShmMap(real, region, size, extend, memory);
}

static int fileShmLock(sqlite3_file *file, int offset, int count, int flags) {
    sqlite3_file *real = ((RecordingFile *)file)->real;
    return real->pMethods->xShmLock(real, offset, count, flags);
}

static void fileShmBarrier(sqlite3_file *file) {
    RecordingFile *recorded = (RecordingFile *)file;
    record(recorded, STREAMLOG_TEST_VFS_BARRIER, 0, NULL, 0);
    recorded->real->pMethods->xShmBarrier(recorded->real);
}

static int fileShmUnmap(sqlite3_file *file, int deleteFlag) {
    sqlite3_file *real = ((RecordingFile *)file)->real;
    return real->pMethods->xShmUnmap(real, deleteFlag);
}

static int fileFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **pointer) {
    sqlite3_file *real = ((RecordingFile *)file)->real;
    return real->pMethods->xFetch(real, offset, amount, pointer);
}

static int fileUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *pointer) {
    sqlite3_file *real = ((RecordingFile *)file)->real;
    return real->pMethods->xUnfetch(real, offset, pointer);
}

static const sqlite3_io_methods fileMethods = {
    3,
    fileClose, fileRead, fileWrite, fileTruncate, fileSync, fileSize, fileLock, fileUnlock,
    fileCheckReservedLock, fileControl, fileSectorSize, fileDeviceCharacteristics,
    fileShmMap, fileShmLock, fileShmBarrier, fileShmUnmap, fileFetch, fileUnfetch,
};

// MARK: VFS methods: forward to the real VFS (which may use its own pAppData).

static int vfsOpen(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *outFlags) {
    (void)vfs;
    RecordingFile *recorded = (RecordingFile *)file;
    recorded->real = (sqlite3_file *)&recorded[1];
    int rc = realVFS->xOpen(realVFS, name, recorded->real, flags, outFlags);
    if (rc != SQLITE_OK) {
        file->pMethods = NULL;
        return rc;
    }
    recorded->file = -1;
    recorded->isWAL = (flags & SQLITE_OPEN_WAL) != 0;
    if (name && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL))) {
        pthread_mutex_lock(&lock);
        recorded->file = fileIndex(name);
        pthread_mutex_unlock(&lock);
    }
    file->pMethods = &fileMethods;
    return SQLITE_OK;
}

static int vfsDelete(sqlite3_vfs *vfs, const char *name, int syncDirectory) {
    (void)vfs;
    int rc = realVFS->xDelete(realVFS, name, syncDirectory);
    if (rc == SQLITE_OK) {
        pthread_mutex_lock(&lock);
        if (recording) append(STREAMLOG_TEST_VFS_DELETE, fileIndex(name), 0, NULL, 0);
        pthread_mutex_unlock(&lock);
    }
    return rc;
}

static int vfsAccess(sqlite3_vfs *vfs, const char *name, int flags, int *result) {
    (void)vfs;
    return realVFS->xAccess(realVFS, name, flags, result);
}

static int vfsFullPathname(sqlite3_vfs *vfs, const char *name, int size, char *output) {
    (void)vfs;
    return realVFS->xFullPathname(realVFS, name, size, output);
}

static void *vfsDlOpen(sqlite3_vfs *vfs, const char *name) {
    (void)vfs;
    return realVFS->xDlOpen(realVFS, name);
}

static void vfsDlError(sqlite3_vfs *vfs, int size, char *message) {
    (void)vfs;
    realVFS->xDlError(realVFS, size, message);
}

static void (*vfsDlSym(sqlite3_vfs *vfs, void *handle, const char *symbol))(void) {
    (void)vfs;
    return realVFS->xDlSym(realVFS, handle, symbol);
}

static void vfsDlClose(sqlite3_vfs *vfs, void *handle) {
    (void)vfs;
    realVFS->xDlClose(realVFS, handle);
}

static int vfsRandomness(sqlite3_vfs *vfs, int size, char *output) {
    (void)vfs;
    return realVFS->xRandomness(realVFS, size, output);
}

static int vfsSleep(sqlite3_vfs *vfs, int microseconds) {
    (void)vfs;
    return realVFS->xSleep(realVFS, microseconds);
}

static int vfsCurrentTime(sqlite3_vfs *vfs, double *time) {
    (void)vfs;
    return realVFS->xCurrentTime(realVFS, time);
}

static int vfsGetLastError(sqlite3_vfs *vfs, int size, char *message) {
    (void)vfs;
    return realVFS->xGetLastError(realVFS, size, message);
}

static int vfsCurrentTimeInt64(sqlite3_vfs *vfs, sqlite3_int64 *time) {
    (void)vfs;
    return realVFS->xCurrentTimeInt64(realVFS, time);
}

// MARK: API

int streamlog_test_vfs_register(void) {
    pthread_mutex_lock(&lock);
    int rc = SQLITE_OK;
    if (!realVFS) {
        sqlite3_vfs *found = sqlite3_vfs_find(0);
        if (!found || found->iVersion < 2) {
            rc = SQLITE_ERROR;
        } else {
            realVFS = found;
            recordingVFS = (sqlite3_vfs){
                .iVersion = 2,
                .szOsFile = (int)sizeof(RecordingFile) + found->szOsFile,
                .mxPathname = found->mxPathname,
                .zName = STREAMLOG_TEST_VFS_NAME,
                .xOpen = vfsOpen,
                .xDelete = vfsDelete,
                .xAccess = vfsAccess,
                .xFullPathname = vfsFullPathname,
                .xDlOpen = vfsDlOpen,
                .xDlError = vfsDlError,
                .xDlSym = vfsDlSym,
                .xDlClose = vfsDlClose,
                .xRandomness = vfsRandomness,
                .xSleep = vfsSleep,
                .xCurrentTime = vfsCurrentTime,
                .xGetLastError = vfsGetLastError,
                .xCurrentTimeInt64 = vfsCurrentTimeInt64,
            };
            rc = sqlite3_vfs_register(&recordingVFS, 0);
            if (rc != SQLITE_OK) realVFS = NULL;
        }
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

void streamlog_test_vfs_start(void) {
    pthread_mutex_lock(&lock);
    for (int64_t index = 0; index < operationCount; index++) free(operations[index].bytes);
    operationCount = 0;
    for (int index = 0; index < fileCount; index++) free(fileNames[index]);
    fileCount = 0;
    recording = 1;
    pthread_mutex_unlock(&lock);
}

void streamlog_test_vfs_stop(void) {
    pthread_mutex_lock(&lock);
    recording = 0;
    pthread_mutex_unlock(&lock);
}

int64_t streamlog_test_vfs_operation_count(void) {
    pthread_mutex_lock(&lock);
    int64_t count = operationCount;
    pthread_mutex_unlock(&lock);
    return count;
}

int streamlog_test_vfs_operation(int64_t index, int *kind, int *file, int64_t *offset, const void **bytes,
                                 int64_t *length) {
    pthread_mutex_lock(&lock);
    int found = index >= 0 && index < operationCount;
    if (found) {
        Operation *operation = &operations[index];
        *kind = operation->kind;
        *file = operation->file;
        *offset = operation->offset;
        *bytes = operation->bytes;
        *length = operation->length;
    }
    pthread_mutex_unlock(&lock);
    return found;
}

int streamlog_test_vfs_file_count(void) {
    pthread_mutex_lock(&lock);
    int count = fileCount;
    pthread_mutex_unlock(&lock);
    return count;
}

const char *streamlog_test_vfs_file_name(int file) {
    pthread_mutex_lock(&lock);
    const char *name = file >= 0 && file < fileCount ? fileNames[file] : NULL;
    pthread_mutex_unlock(&lock);
    return name;
}

void streamlog_test_vfs_fail_next_wal_write(void) {
    pthread_mutex_lock(&lock);
    failNextWALWrite = 1;
    pthread_mutex_unlock(&lock);
}

void streamlog_test_vfs_set_powersafe_overwrite(int on) {
    pthread_mutex_lock(&lock);
    powersafeOverwrite = on;
    pthread_mutex_unlock(&lock);
}

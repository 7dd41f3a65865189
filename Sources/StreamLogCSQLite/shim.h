#ifndef STREAMLOG_CSQLITE_SHIM_H
#define STREAMLOG_CSQLITE_SHIM_H
#include <sqlite3.h>

// Variadic C functions are not callable from Swift; these wrappers are.
static inline int streamlog_sqlite3_file_control_data_version(sqlite3 *db, unsigned int *out) {
    return sqlite3_file_control(db, "main", SQLITE_FCNTL_DATA_VERSION, out);
}

static inline int streamlog_sqlite3_db_config_defensive(sqlite3 *db, int on) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, on, (int *)0);
}
#endif

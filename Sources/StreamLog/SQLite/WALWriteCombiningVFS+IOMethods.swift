import Foundation
import StreamLogCSQLite

extension WALWriteCombiningVFS {
    /// The `sqlite3_io_methods` of ``File``: reads, syncs, truncates and sizes write out a WAL's
    /// buffer first, writes to a WAL are collected, and a database file's memory barrier and
    /// release of the WAL write lock write out its WAL's buffer; everything else forwards. One table per version
    /// of the base VFS's file methods (SQLite reads the version to know which methods exist).
    enum IOMethods {
        static func table(version: Int32) -> UnsafeMutablePointer<sqlite3_io_methods> {
            switch version {
            case ...1: return tables.v1
            case 2: return tables.v2
            default: return tables.v3
            }
        }

        private struct Tables: @unchecked Sendable {
            // @unchecked: written once, before any use, and only read afterwards.
            let v1: UnsafeMutablePointer<sqlite3_io_methods>
            let v2: UnsafeMutablePointer<sqlite3_io_methods>
            let v3: UnsafeMutablePointer<sqlite3_io_methods>
        }

        private static let tables: Tables = {
            func make(_ version: Int32) -> UnsafeMutablePointer<sqlite3_io_methods> {
                let table = UnsafeMutablePointer<sqlite3_io_methods>.allocate(capacity: 1)
                table.initialize(to: methods(version: version))
                return table
            }
            return Tables(v1: make(1), v2: make(2), v3: make(3))
        }()

        private static func methods(version: Int32) -> sqlite3_io_methods {
            var methods = sqlite3_io_methods()
            methods.iVersion = version
            methods.xClose = { file in File.close(file) }
            methods.xRead = { file, data, count, offset in File.read(file, data, count: count, offset: offset) }
            methods.xWrite = { file, data, count, offset in
                guard let state = File.state(file), state.pointee.kind == .wal else {
                    return File.forward(file) { real, io in io.xWrite!(real, data, count, offset) }
                }
                return State.write(state, data!, count: Int(count), at: offset)
            }
            methods.xTruncate = { file, size in File.forwardFlushingFirst(file) { real, io in io.xTruncate!(real, size) } }
            methods.xSync = { file, flags in File.forwardFlushingFirst(file) { real, io in io.xSync!(real, flags) } }
            methods.xFileSize = { file, size in File.forwardFlushingFirst(file) { real, io in io.xFileSize!(real, size) } }
            methods.xLock = { file, level in File.forward(file) { real, io in io.xLock!(real, level) } }
            methods.xUnlock = { file, level in File.forward(file) { real, io in io.xUnlock!(real, level) } }
            methods.xCheckReservedLock = { file, result in
                File.forward(file) { real, io in io.xCheckReservedLock!(real, result) }
            }
            methods.xFileControl = { file, operation, argument in
                File.forward(file) { real, io in io.xFileControl!(real, operation, argument) }
            }
            methods.xSectorSize = { file in File.forward(file) { real, io in io.xSectorSize!(real) } }
            methods.xDeviceCharacteristics = { file in File.forward(file) { real, io in io.xDeviceCharacteristics!(real) } }
            guard version >= 2 else { return methods }
            methods.xShmMap = { file, region, size, extend, memory in
                File.forward(file) { real, io in io.xShmMap!(real, region, size, extend, memory) }
            }
            methods.xShmLock = { file, offset, count, flags in File.shmLock(file, offset: offset, count: count, flags: flags) }
            methods.xShmBarrier = { file in File.barrier(file) }
            methods.xShmUnmap = { file, delete in File.forward(file) { real, io in io.xShmUnmap!(real, delete) } }
            guard version >= 3 else { return methods }
            methods.xFetch = { file, offset, count, pointer in
                File.forward(file) { real, io in io.xFetch!(real, offset, count, pointer) }
            }
            methods.xUnfetch = { file, offset, pointer in
                File.forward(file) { real, io in io.xUnfetch!(real, offset, pointer) }
            }
            return methods
        }
    }
}

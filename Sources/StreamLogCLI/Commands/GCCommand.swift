import ArgumentParser
import StreamLog

/// `streamlog gc`: deletes orphaned objects, optionally compacts the file.
struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete orphaned objects; optionally compact the file.",
        discussion: """
            An orphan is an object of this file's store that no event of any topic refers to and \
            that is older than --grace (default 1h). Objects appended with their events are never \
            orphans; the grace period protects objects a program stored on their own and has not \
            referred to from an event yet. Eviction records of keys no event refers to any more \
            go too. A file with objects but no topics looks like an object store that other files \
            refer to and is refused unless --force is given.

            Examples:
              streamlog gc
              streamlog gc --grace 10m --vacuum
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(
        help: ArgumentHelp(
            "Keep unreferenced objects younger than DURATION (default 1h; 0 for none).", valueName: "duration"),
        transform: DurationArgument.parse)
    var grace: DurationArgument?

    @Flag(help: "Then rebuild the file without its free pages (VACUUM) and truncate the WAL.")
    var vacuum = false

    @Flag(help: "Collect a file that has objects but no topics (every object in it is deleted).")
    var force = false

    func run() throws {
        let db = try database.open()
        let output = OutputWriter()
        let progress = ProgressBar.spinner(label: vacuum ? "gc + vacuum" : "gc")
        defer { progress.finish() }
        let result = try db.collectGarbage(
            gracePeriod: grace?.duration ?? LogDatabase.defaultGarbageGracePeriod, includingStoreOnlyFile: force)
        output.writeLine(
            "deleted \(result.objects) orphaned object\(result.objects == 1 ? "" : "s") "
                + "(\(ByteCount.format(result.bytes))) and \(result.evictionRecords) stale eviction "
                + "record\(result.evictionRecords == 1 ? "" : "s")")
        if vacuum {
            let sizes = try db.vacuum()
            output.writeLine(
                "compacted \(database.path): \(ByteCount.format(sizes.bytesBefore)) → \(ByteCount.format(sizes.bytesAfter))")
        }
        progress.finish()
        try output.flush()
    }
}

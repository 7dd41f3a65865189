/// A failure of the command line itself (a bad input file, an unwritable output), reported as one
/// line on standard error like the library's errors.
struct CLIError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}

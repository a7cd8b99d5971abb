import Basics

/// What can go wrong in a run that the user can fix; each message says what was expected,
/// what was found, and how to fix it.
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    case unwritableOutput(path: String, reason: String)
    case invalidSetting(name: String, value: String, expected: String)
    case missingArtefact(stage: String, file: String)
    /// Another process holds the run folder's lock (its process id, when it recorded one).
    case folderInUse(path: String, process: Int?)

    public var description: String {
        switch self {
        case let .unwritableOutput(path, reason):
            return "cannot write \(path): \(reason); choose another --output folder or free disk space"
        case let .invalidSetting(name, value, expected):
            return invalidSettingMessage(name: name, value: value, expected: expected)
        case let .missingArtefact(stage, file):
            return "stage \(stage) needs \(file), which is missing; rerun with --from \(stage) or an earlier stage"
        case let .folderInUse(path, process):
            let holder = process.map { "process \($0)" } ?? "another process"
            return "\(path) is in use by \(holder), another nrcc writing there; wait for it to finish, or choose another --output"
        }
    }
}

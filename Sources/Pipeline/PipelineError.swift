import Basics

/// What can go wrong in a run that the user can fix; each message says what was expected,
/// what was found, and how to fix it.
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    case unwritableOutput(path: String, reason: String)
    case invalidSetting(name: String, value: String, expected: String)
    case missingArtefact(stage: String, file: String)
    /// Another process holds the run folder's lock (its process id, when it recorded one).
    case folderInUse(path: String, process: Int?)
    /// A stage produced NaN or infinite values (`count` of them); nothing of it was kept.
    case nonFiniteResult(stage: String, count: Int)

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
        case let .nonFiniteResult(stage, count):
            return "stage \(stage) produced \(count) NaN or infinite values and was stopped before writing them; check the input for duplicates or extreme values, or try another --seed"
        }
    }
}

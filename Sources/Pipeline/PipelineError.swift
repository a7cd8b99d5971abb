/// What can go wrong in a run that the user can fix; each message says what was expected,
/// what was found, and how to fix it.
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    case unwritableOutput(path: String, reason: String)
    case invalidSetting(name: String, value: String, expected: String)
    case missingArtefact(stage: String, file: String)

    public var description: String {
        switch self {
        case let .unwritableOutput(path, reason):
            return "cannot write \(path): \(reason); choose another --output folder or free disk space"
        case let .invalidSetting(name, value, expected):
            return "\(name) is \(value), expected \(expected)"
        case let .missingArtefact(stage, file):
            return "stage \(stage) needs \(file), which is missing; rerun with --from \(stage) or an earlier stage"
        }
    }
}

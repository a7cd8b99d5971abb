/// How far a stage has come; libraries report it, the executable draws it.
public struct ProgressEvent: Sendable, Equatable {
    /// The stage, e.g. "train", "umap".
    public var stage: String
    /// Units done so far.
    public var completed: Int
    /// Units in all, when known.
    public var total: Int?
    /// What a unit is ("epoch", "step", "point").
    public var unit: String

    public init(stage: String, completed: Int, total: Int?, unit: String) {
        self.stage = stage
        self.completed = completed
        self.total = total
        self.unit = unit
    }
}

/// Receives progress events; called on the thread doing the work.
public typealias ProgressHandler = @Sendable (ProgressEvent) -> Void

import Dispatch
import Foundation

/// Decides which stages run, times their work and records the ones that finish.
///
/// Stage times are kept in `timings.json` so that a report made after a partial re-run still
/// shows what every stage cost when it last ran.
struct StageLedger {
    let directory: RunDirectory
    private(set) var seconds: [String: Double]

    init(directory: RunDirectory) {
        self.directory = directory
        let saved = try? Data(contentsOf: directory.latest(Self.timingsName))
        seconds = saved.flatMap { try? JSONDecoder().decode([String: Double].self, from: $0) } ?? [:]
    }

    /// Runs `work` unless `stage` finished under `fingerprint` already (cluster and report
    /// always run), times it, and records it. Returns whether the work ran.
    ///
    /// A stage's staged artefacts count only when the staged ledger records them; others are
    /// what a failed attempt left. When the committed artefacts are the ones wanted, those
    /// leftovers are removed so they cannot hide them (an interrupted training of other
    /// settings stays, for `trainStaged` to resume or set aside).
    @discardableResult
    mutating func run(_ stage: Stage, _ fingerprint: String, _ work: () throws -> Void) throws -> Bool {
        if !stage.alwaysRuns {
            let staged = directory.stagedStages()[stage.rawValue]
            if staged == fingerprint { return false }
            if staged != RunDirectory.forgotten && directory.committedStages()[stage.rawValue] == fingerprint {
                try directory.dropStaged(stage.rawValue, artefacts: stage.artefacts)
                return false
            }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        try work()
        seconds[stage.rawValue] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try directory.writeJSON(seconds, to: Self.timingsName)
        try directory.markFinished(stage.rawValue, fingerprint: fingerprint)
        return true
    }

    static let timingsName = "timings.json"
}

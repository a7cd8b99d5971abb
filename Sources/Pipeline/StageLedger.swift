import Dispatch
import Foundation

/// Decides which stages run, records the ones that finish, and times them.
///
/// Stage times are kept in `timings.json` so that a report made after a partial re-run still
/// shows what every stage cost when it last ran.
struct StageLedger {
    let directory: RunDirectory
    private(set) var seconds: [String: Double]
    private var started = DispatchTime.now().uptimeNanoseconds

    init(directory: RunDirectory) {
        self.directory = directory
        let saved = try? Data(contentsOf: directory.file("timings.json"))
        seconds = saved.flatMap { try? JSONDecoder().decode([String: Double].self, from: $0) } ?? [:]
    }

    /// Seconds since the last stage finished (or the ledger was opened).
    var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }

    /// Whether `stage` must run: it has not finished under `fingerprint`. Restarts the clock.
    mutating func needs(_ stage: Stage, _ fingerprint: String) throws -> Bool {
        started = DispatchTime.now().uptimeNanoseconds
        return !directory.isFinished(stage.rawValue, fingerprint: fingerprint)
    }

    /// Records that `stage` finished under `fingerprint`, taking `seconds`.
    mutating func finish(_ stage: Stage, _ fingerprint: String, seconds time: Double) throws {
        seconds[stage.rawValue] = time
        try directory.writeJSON(seconds, to: "timings.json")
        try directory.markFinished(stage.rawValue, fingerprint: fingerprint)
    }
}

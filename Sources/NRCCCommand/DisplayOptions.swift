import ArgumentParser
import Foundation
import Pipeline
import Reporting

/// How results and progress are shown: a table and a progress bar by default, JSON with
/// `--json`, nothing but the result with `--quiet`.
struct DisplayOptions: ParsableArguments {
    @Flag(help: "Print no progress.")
    var quiet = false

    @Flag(help: "Print the results as one JSON object on standard output.")
    var json = false

    func progressPrinter() -> ProgressPrinter {
        ProgressPrinter(quiet: quiet || json)
    }

    /// Prints the scores of a clustering and where its outputs are.
    func show(_ report: ClusteringReport, settings: ClusterSettings, output: RunDirectory) {
        if json {
            try? printJSON(report)
            return
        }
        let name = displayName(of: settings.method, reducer: settings.reducer)
        print(formatMetricsTable(report.reportMetrics(methodName: name)))
        for notice in report.notices ?? [] { print("note: \(notice)") }
        print("outputs: \(output.url.path) (report: \(output.file(RunLayout.report).path))")
    }
}

extension ProgressPrinter {
    /// The printer as a library progress callback.
    var handler: ProgressHandler {
        { [self] event in update(stage: event.stage, completed: event.completed, total: event.total, unit: event.unit) }
    }
}

/// Prints `value` as one line of key-sorted JSON on standard output.
func printJSON<Value: Encodable>(_ value: Value) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

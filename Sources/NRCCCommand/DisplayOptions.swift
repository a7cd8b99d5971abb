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
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            if let data = try? encoder.encode(report) { print(String(decoding: data, as: UTF8.self)) }
            return
        }
        let name = displayName(of: settings.method, reducer: settings.reducer)
        print(formatMetricsTable(report.reportMetrics(methodName: name)))
        print("outputs: \(output.url.path) (report: \(output.file("report.html").path))")
    }
}

extension ProgressPrinter {
    /// The printer as a library progress callback.
    var handler: ProgressHandler {
        { [self] event in update(stage: event.stage, completed: event.completed, total: event.total, unit: event.unit) }
    }
}

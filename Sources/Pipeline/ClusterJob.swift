import Foundation
import Reporting

/// `nrcc cluster`: reduce and cluster a feature matrix (or raw pixels), score it when labels
/// exist, and write `coordinates.npy`, `labels.csv`, `metrics.json` and `report.html`.
public struct ClusterJob: Sendable {
    public var input: ClusterInput
    public var settings: ClusterSettings

    public init(input: ClusterInput, settings: ClusterSettings) {
        self.input = input
        self.settings = settings
    }

    /// Runs the job, writing into `directory` when given (committed together at the end).
    public func run(
        writingTo directory: RunDirectory?, progress: ProgressHandler? = nil
    ) throws -> (outcome: ClusterOutcome, report: ClusteringReport) {
        try settings.validate()
        let features = input.features
        if settings.reducer == .umap && features.rows <= settings.neighborCount {
            throw PipelineError.invalidSetting(
                name: "--neighbors", value: "\(settings.neighborCount)",
                expected: "fewer than the \(features.rows) points; lower --neighbors or add data")
        }
        let outcome = try reduceAndCluster(
            features.values, dimension: features.columns, settings: settings, progress: progress)
        let report = ClusteringReport(outcome: outcome, truth: features.labels, method: settings.method)
        if let directory {
            try directory.writeClusterArtefacts(outcome, truth: features.labels, report: report)
            let content = clusterReportContent(
                title: "nrcc cluster: \(features.name)", input: input, outcome: outcome,
                report: report, settings: settings)
            try directory.write(Data(renderReport(content).utf8), to: RunLayout.report)
            try directory.commit()
        }
        return (outcome, report)
    }
}

import Datasets
import Foundation

extension RunDirectory {
    /// Stages the clustering artefacts: `labels.csv` (`index,cluster[,label]`),
    /// `metrics.json` and, with `coordinates`, `coordinates.npy` (n x d float32; `nrcc run`'s
    /// reduce stage writes its own).
    public func writeClusterArtefacts(
        _ outcome: ClusterOutcome, truth: [Int]?, report: ClusteringReport, coordinates: Bool = true
    ) throws {
        let count = outcome.labels.count
        if coordinates {
            let array = NPYArray(shape: [count, outcome.dimensions], elements: .float32(outcome.coordinates))
            try write(Data(npyBytes(array)), to: RunLayout.coordinates)
        }
        try writeClusterLabels(outcome.labels, truth: truth, to: RunLayout.labels)
        try writeJSON(report, to: RunLayout.metrics)
    }

    /// Stages `name`: `index,cluster[,label]`, one line per point.
    func writeClusterLabels(_ labels: [Int], truth: [Int]?, to name: String) throws {
        var csv = truth == nil ? "index,cluster\n" : "index,cluster,label\n"
        csv.reserveCapacity(labels.count * 12)
        for index in labels.indices {
            csv += "\(index),\(labels[index])"
            if let truth { csv += ",\(truth[index])" }
            csv += "\n"
        }
        try write(Data(csv.utf8), to: name)
    }
}

import Datasets
import Foundation

extension RunDirectory {
    /// Writes the clustering artefacts: `coordinates.npy` (n x d float32), `labels.csv`
    /// (`index,cluster[,label]`) and `metrics.json`.
    public func writeClusterArtefacts(
        _ outcome: ClusterOutcome, truth: [Int]?, report: ClusteringReport
    ) throws {
        let count = outcome.labels.count
        let coordinates = NPYArray(shape: [count, outcome.dimensions], elements: .float32(outcome.coordinates))
        try write(Data(npyBytes(coordinates)), to: "coordinates.npy")
        var csv = truth == nil ? "index,cluster\n" : "index,cluster,label\n"
        csv.reserveCapacity(count * 12)
        for index in 0..<count {
            csv += "\(index),\(outcome.labels[index])"
            if let truth { csv += ",\(truth[index])" }
            csv += "\n"
        }
        try write(Data(csv.utf8), to: "labels.csv")
        try writeJSON(report, to: "metrics.json")
    }
}

// Benchmarks of the clustering suite: GridShift (h = 1.0, and the automatic bandwidth),
// MeanShift++ and k-means (k = 10) on the same 3-D points, 10k and 70k of them.
// `Benchmarks/reference/clustering_reference.py` runs scikit-learn's MeanShift (bin seeding,
// bandwidth 1.0) and KMeans on exactly the same file, with the same keys.
//
// Points: `/tmp/nrcc-bench/fashion10k-umap3d.f32` (raw little-endian float32, n x 3, written
// by the manifold suite) for the 10k figures when present, likewise `fashion70k-umap3d.f32`
// for the 70k ones; otherwise seeded Gaussian blobs shaped like a UMAP output (10 clusters
// in a [0, 10]^3 box), 70k of them written once to `/tmp/nrcc-bench/blobs-3d.f32`, whose
// first 10k rows are the 10k set.
//
// k-means also runs on 10k seeded points in 784 dimensions (the size of raw Fashion-MNIST,
// where its distances go through gemm), written to `/tmp/nrcc-bench/blobs-784d.f32`.
import Clustering
import Foundation
import Basics
import TensorCore

func runClusteringBenchmarks() throws {
    for size in [10_000, 70_000] {
        let (points, source) = try clusteringBenchmarkPoints(count: size)
        let n = points.count / 3
        let label = size == 10_000 ? "10k" : "70k"
        let common: [String: Any] = ["points": n, "dimension": 3, "source": source]

        var fixed: ModeSeekingResult?
        let gridSeconds = try medianSeconds(repeats: 7) {
            fixed = try gridShift(points, dimension: 3, bandwidth: .fixed(1.0))
        }
        Report.emit("clustering_modeseeking_\(label)", common.merging([
            "method": "gridshift", "bandwidth": 1.0, "seconds": gridSeconds,
            "points_per_second": Double(n) / gridSeconds, "clusters": fixed!.clusterCount,
            "iterations": fixed!.iterations,
        ]) { $1 })

        var estimated: Float = 0
        let bandwidthSeconds = try medianSeconds(repeats: 3) {
            estimated = try AutomaticBandwidth().bandwidth(points, dimension: 3)
        }
        var automatic: ModeSeekingResult?
        let automaticSeconds = try medianSeconds(repeats: 3) {
            automatic = try gridShift(points, dimension: 3, bandwidth: .fixed(estimated))
        }
        Report.emit("clustering_gridshift_automatic_\(label)", common.merging([
            "method": "gridshift", "bandwidth": Double(estimated), "bandwidth_seconds": bandwidthSeconds,
            "seconds": automaticSeconds + bandwidthSeconds,
            "points_per_second": Double(n) / (automaticSeconds + bandwidthSeconds),
            "clusters": automatic!.clusterCount, "iterations": automatic!.iterations,
            "clusters_after_small_merge": automatic!.mergingSmallClusters().clusterCount,
        ]) { $1 })

        var plusPlus: ModeSeekingResult?
        let plusPlusSeconds = try medianSeconds(repeats: 3) {
            plusPlus = try meanShiftPlusPlus(points, dimension: 3, bandwidth: .fixed(1.0))
        }
        Report.emit("clustering_meanshiftpp_\(label)", common.merging([
            "method": "meanshift++", "bandwidth": 1.0, "seconds": plusPlusSeconds,
            "points_per_second": Double(n) / plusPlusSeconds, "clusters": plusPlus!.clusterCount,
            "same_labels_as_gridshift": plusPlus!.labels == fixed!.labels,
        ]) { $1 })

        var means: KMeansResult?
        let kMeansSeconds = try medianSeconds(warmup: 0, repeats: 3) {
            means = try kMeans(points, dimension: 3, clusterCount: 10, restarts: 10, seed: 0)
        }
        Report.emit("clustering_kmeans_\(label)", common.merging([
            "method": "kmeans", "k": 10, "restarts": 10, "seconds": kMeansSeconds,
            "points_per_second": Double(n) / kMeansSeconds, "inertia": means!.inertia,
        ]) { $1 })
    }

    let wide = try wideBenchmarkPoints()
    var wideMeans: KMeansResult?
    let wideSeconds = try medianSeconds(warmup: 0, repeats: 3) {
        wideMeans = try kMeans(wide.points, dimension: 784, clusterCount: 10, restarts: 10, seed: 0)
    }
    Report.emit("clustering_kmeans_784d_10k", [
        "points": wide.points.count / 784, "dimension": 784, "source": wide.source,
        "method": "kmeans", "k": 10, "restarts": 10, "seconds": wideSeconds,
        "points_per_second": Double(wide.points.count / 784) / wideSeconds, "inertia": wideMeans!.inertia,
    ])
}

/// 10k seeded points in 784 dimensions (10 Gaussian blobs, centres in [0, 1)^784, spread
/// 0.2, interleaved), written once to `/tmp/nrcc-bench/blobs-784d.f32` for the reference.
func wideBenchmarkPoints() throws -> (points: [Float], source: String) {
    let file = URL(fileURLWithPath: "/tmp/nrcc-bench/blobs-784d.f32")
    if let points = readFloat32(file), points.count == 10_000 * 784 { return (points, file.path) }
    var generator = SeededGenerator(seed: 784)
    let centres = (0..<(10 * 784)).map { _ in generator.nextUniform() }
    var points = [Float]()
    points.reserveCapacity(10_000 * 784)
    for point in 0..<10_000 {
        for axis in 0..<784 { points.append(centres[(point % 10) * 784 + axis] + 0.2 * generator.nextGaussian()) }
    }
    try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
    try points.withUnsafeBytes { Data($0) }.write(to: file, options: .atomic)
    return (points, file.path)
}

/// The benchmark's `count` 3-D points and where they came from (see the file comment).
func clusteringBenchmarkPoints(count: Int) throws -> (points: [Float], source: String) {
    let directory = URL(fileURLWithPath: "/tmp/nrcc-bench")
    let umapFile = directory.appendingPathComponent(count == 10_000 ? "fashion10k-umap3d.f32" : "fashion70k-umap3d.f32")
    if let points = readFloat32(umapFile), points.count % 3 == 0, points.count >= count * 3 {
        return (Array(points[..<(count * 3)]), umapFile.path)
    }
    let blobFile = directory.appendingPathComponent("blobs-3d.f32")
    if readFloat32(blobFile)?.count != 70_000 * 3 {  // absent or not ours: write it
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let blobs = umapShapedBlobs(count: 70_000, seed: 2024)
        try blobs.withUnsafeBytes { Data($0) }.write(to: blobFile, options: .atomic)
    }
    let points = readFloat32(blobFile)!
    return (Array(points[..<(count * 3)]), blobFile.path)
}

/// Raw little-endian float32 values of a file, or nil when it is absent or ragged.
private func readFloat32(_ url: URL) -> [Float]? {
    guard let data = try? Data(contentsOf: url), data.count % 4 == 0, !data.isEmpty else { return nil }
    return data.withUnsafeBytes { raw in
        (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
    }
}

/// Seeded points shaped like UMAP's 3-D output of a 10-class data set: 10 Gaussian clusters
/// of unequal size and spread, centres in [1.5, 8.5]^3, in random order.
private func umapShapedBlobs(count: Int, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    let centres = (0..<30).map { _ in generator.nextUniform(1.5, 8.5) }
    let spreads = (0..<10).map { _ in generator.nextUniform(0.25, 0.7) }
    let weights = (0..<10).map { _ in generator.nextUniform(0.5, 1.5) }
    let total = weights.reduce(0, +)
    var cumulative: [Float] = []
    var running: Float = 0
    for weight in weights { running += weight / total; cumulative.append(running) }
    var points = [Float]()
    points.reserveCapacity(count * 3)
    for _ in 0..<count {
        let draw = generator.nextUniform()
        let cluster = cumulative.firstIndex { draw < $0 } ?? 9
        for axis in 0..<3 { points.append(centres[cluster * 3 + axis] + spreads[cluster] * generator.nextGaussian()) }
    }
    return points
}

// Benchmarks of the manifold suite: UMAP of the Fashion-MNIST test split to 3-D, as
// `Benchmarks/reference/umap_reference.py` runs umap-learn on the same input.
import Foundation
import ManifoldLearning

/// The 10,000 x 784 test images scaled to [0, 1]. The gzipped IDX file is decompressed once
/// with `gzip -dc` into `/tmp/nrcc-bench/`; `NRCC_FASHION_IMAGES` may name an uncompressed IDX.
private func fashionTestImages() throws -> [Float]? {
    let environment = ProcessInfo.processInfo.environment
    let workFolder = URL(fileURLWithPath: "/tmp/nrcc-bench")
    try FileManager.default.createDirectory(at: workFolder, withIntermediateDirectories: true)
    var path = environment["NRCC_FASHION_IMAGES"] ?? ""
    if path.isEmpty {
        let compressed = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
        guard FileManager.default.fileExists(atPath: compressed) else { return nil }
        path = workFolder.appendingPathComponent("t10k-images-idx3-ubyte").path
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["gzip", "-dc", compressed]
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { return nil }
        }
    }
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    // IDX: magic 00 00 08 03, then three big-endian uint32 sizes, then the pixels.
    guard data.count >= 16, data[2] == 8, data[3] == 3 else { return nil }
    let header = (0..<3).map { d in (0..<4).reduce(0) { $0 << 8 | Int(data[4 + 4 * d + $1]) } }
    let values = header.reduce(1, *)
    guard data.count >= 16 + values else { return nil }
    return data[16..<(16 + values)].map { Float($0) / 255 }
}

func runManifoldBenchmarks() throws {
    guard let images = try fashionTestImages() else {
        Report.emit("umap_fashion10k_3d", ["skipped": "Fashion-MNIST test images not found"])
        return
    }
    let dimension = 784, n = images.count / dimension
    let umap = try UMAP(dimensions: 3, seed: 0)
    var result: UMAPResult?
    let seconds = try medianSeconds(warmup: 0, repeats: 3) { result = try umap.embed(images, dimension: dimension) }
    guard let result else { return }

    // Trustworthiness (k = 10, euclidean on the pixels) of the first 5,000 points' layout,
    // as the reference script measures it.
    let sample = min(n, 5_000)
    let trust = trustworthiness(Array(images[0..<(sample * dimension)]), dimension: dimension,
                                embedding: Array(result.embedding[0..<(sample * 3)]), embeddedDimension: 3,
                                neighborCount: 10)
    let output = URL(fileURLWithPath: "/tmp/nrcc-bench/fashion10k-umap3d.f32")
    try result.embedding.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: output)
    Report.emit("umap_fashion10k_3d", [
        "mode": "seeded, every stage on every core (the SGD in \(umap.layoutParts) parts)",
        "threads": ProcessInfo.processInfo.activeProcessorCount,
        "points": n,
        "seconds": seconds,
        "points_per_second": Double(n) / seconds,
        "trustworthiness": trust,
        "trustworthiness_points": sample,
        "stage_seconds": result.seconds,
        "output": output.path,
    ])
    try PeerReference.compare(script: "umap_reference.py", arguments: [], referenceName: "umap_fashion10k_3d_reference",
                              seconds: seconds, comparisonName: "umap_fashion10k_3d_vs_umap_learn", timeKey: "seconds",
                              nrccTrustworthiness: trust)

    // The two neighbour searches on the same pixels (k = 10, cosine): time and recall.
    var exact: NeighborGraph?, approximate: NeighborGraph?
    let exactSeconds = medianSeconds(warmup: 0, repeats: 1) {
        exact = nearestNeighbors(of: images, dimension: dimension, neighborCount: 10, metric: .cosine, algorithm: .exact)
    }
    let approximateSeconds = medianSeconds(warmup: 0, repeats: 1) {
        approximate = nearestNeighbors(of: images, dimension: dimension, neighborCount: 10, metric: .cosine,
                                       algorithm: .approximate(NNDescentParameters()), seed: 0)
    }
    if let exact, let approximate {
        Report.emit("knn_fashion10k_cosine", [
            "points": n, "neighbors": 10,
            "exact_seconds": exactSeconds, "nndescent_seconds": approximateSeconds,
            "nndescent_recall": approximate.recall(against: exact),
        ])
    }
}

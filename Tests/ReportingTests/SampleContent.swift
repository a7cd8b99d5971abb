import Foundation
import Reporting

/// A small seeded generator for the synthetic sample (SplitMix64), so the tests need no
/// module beyond Reporting.
struct SampleRandom {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Standard normal, by Box-Muller.
    mutating func gaussian() -> Double {
        let u = max(uniform(), 1e-12), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

/// 8 x 8 glyphs of the ten digits, '#' ink and '.' paper.
let digitGlyphs: [[String]] = [
    ["..###...", ".#...#..", "#.....#.", "#.....#.", "#.....#.", "#.....#.", ".#...#..", "..###..."],
    ["...#....", "..##....", ".#.#....", "...#....", "...#....", "...#....", "...#....", ".#####.."],
    ["..###...", ".#...#..", ".....#..", "....#...", "...#....", "..#.....", ".#......", ".#####.."],
    [".####...", ".....#..", ".....#..", "..###...", ".....#..", ".....#..", ".....#..", ".####..."],
    ["....#...", "...##...", "..#.#...", ".#..#...", "#...#...", "######..", "....#...", "....#..."],
    [".#####..", ".#......", ".#......", ".####...", ".....#..", ".....#..", ".#...#..", "..###..."],
    ["..###...", ".#......", "#.......", "#.###...", "##...#..", "#....#..", ".#...#..", "..###..."],
    ["######..", ".....#..", "....#...", "....#...", "...#....", "...#....", "..#.....", "..#....."],
    ["..###...", ".#...#..", ".#...#..", "..###...", ".#...#..", ".#...#..", ".#...#..", "..###..."],
    ["..###...", ".#...#..", ".#...#..", "..####..", ".....#..", ".....#..", "....#...", "..##...."],
]

/// A digit-like 8 x 8 greyscale image: the glyph shifted by up to a pixel, with soft ink and noise.
func digitImage(_ digit: Int, noise: Double, random: inout SampleRandom) -> [UInt8] {
    let shiftX = Int(random.next() % 3) - 1, shiftY = Int(random.next() % 2)
    var pixels = [UInt8](repeating: 0, count: 64)
    let glyph = digitGlyphs[digit].map { Array($0) }
    for row in 0..<8 {
        for column in 0..<8 {
            let sourceRow = row - shiftY, sourceColumn = column - shiftX
            let ink = (0..<8).contains(sourceRow) && (0..<8).contains(sourceColumn) && glyph[sourceRow][sourceColumn] == "#"
            let value = (ink ? 225.0 : 12.0) + noise * random.gaussian()
            pixels[row * 8 + column] = UInt8(min(255, max(0, value)).rounded())
        }
    }
    return pixels
}

/// A report of a realistic run on synthetic digits: `classes` Gaussian blobs in 3-D, one class
/// split in two clusters and one class leaking into another, training curves, samples, views.
func sampleReportContent(pointsPerClass: Int = 600, classes: Int = 10) -> ReportContent {
    var random = SampleRandom(state: 20_240_601)
    let classNames = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    let centres = (0..<classes).map { _ in (0..<3).map { _ in 12 * random.uniform() } }
    var coordinates: [Float] = [], clusterLabels: [Int] = [], trueLabels: [Int] = []
    for label in 0..<classes {
        for _ in 0..<pointsPerClass {
            let point = centres[label].map { $0 + 0.6 * random.gaussian() }
            coordinates += point.map(Float.init)
            trueLabels.append(label)
            // Cluster ids are a permutation of the classes; the last class splits in two, and
            // a fifth of class 4 falls into class 7's cluster.
            var cluster = (label * 7 + 3) % classes
            if label == classes - 1 && point[0] > centres[label][0] + 0.3 { cluster = classes }
            if label == 4 && random.uniform() < 0.2 { cluster = (7 * 7 + 3) % classes }
            clusterLabels.append(cluster)
        }
    }

    let epochs = 30
    func curve(_ start: Double, _ end: Double, _ speed: Double, _ jitter: Double) -> [Double] {
        (0..<epochs).map { epoch in
            end + (start - end) * exp(-speed * Double(epoch)) + jitter * random.gaussian()
        }
    }
    let byol = curve(3.6, 0.45, 0.15, 0.03), nrcc = curve(0.9, 0.25, 0.1, 0.01)
    let knnEpochs = stride(from: 5.0, through: Double(epochs), by: 5).map { $0 }
    let training = TrainingHistory(
        lossParts: [
            CurveSeries(name: "BYOL", values: byol),
            CurveSeries(name: "NRCC", values: nrcc),
            CurveSeries(name: "total", values: zip(byol, nrcc).map { $0 + 0.5 * $1 }),
        ],
        knnAccuracy: CurveSeries(
            name: "kNN accuracy", epochs: knnEpochs, values: knnEpochs.map { 0.95 - 0.6 * exp(-$0 / 8) }),
        featureStandardDeviation: CurveSeries(
            name: "feature std", values: curve(0.021, 0.0595, 0.2, 0.0008)))

    var samples: [ClusterSamples] = []
    for cluster in 0...classes {
        let members = clusterLabels.indices.filter { clusterLabels[$0] == cluster }.prefix(12)
        let images = members.map {
            encodeGreyscalePNG(pixels: digitImage(trueLabels[$0], noise: 18, random: &random), width: 8, height: 8)
        }
        samples.append(ClusterSamples(cluster: cluster, images: images))
    }
    let pairs = (0..<10).map { digit -> ViewPair in
        let original = digitImage(digit, noise: 10, random: &random)
        let view = original.map { UInt8(min(255, max(0, Double($0) + 55 * random.gaussian())).rounded()) }
        return ViewPair(
            original: encodeGreyscalePNG(pixels: original, width: 8, height: 8),
            view: encodeGreyscalePNG(pixels: view, width: 8, height: 8))
    }

    let scores = ClusteringScores(
        accuracy: 0.912, normalizedMutualInformation: 0.887, adjustedRandIndex: 0.851, adjustedMutualInformation: 0.884)
    let merged = ClusteringScores(
        accuracy: 0.934, normalizedMutualInformation: 0.901, adjustedRandIndex: 0.872, adjustedMutualInformation: 0.899)
    return ReportContent(
        title: "nrcc run: digits",
        datasetName: "digits (synthetic sample)",
        settings: [
            ReportSetting("preset", "paper"), ReportSetting("seed", "0"),
            ReportSetting("train.paradigm", "byol"), ReportSetting("train.epochs", "\(epochs)"),
            ReportSetting("train.batchSize", "256"), ReportSetting("nrcc.weight", "0.5"),
            ReportSetting("sghmc.stepSize", "0.01"), ReportSetting("umap.neighbors", "15"),
            ReportSetting("umap.minDist", "0.1"), ReportSetting("gridshift.bandwidth", "auto (0.84)"),
            ReportSetting("output", "runs/demo"),
        ],
        metrics: ReportMetrics(
            rows: [
                MetricsRow(name: "GridShift", clusters: classes + 1, scores: scores),
                MetricsRow(name: "GridShift, clusters under 50 merged", clusters: classes, scores: merged),
            ],
            classes: classes),
        timings: [
            StageTiming(stage: "train", seconds: 171.4), StageTiming(stage: "embed", seconds: 6.2),
            StageTiming(stage: "umap", seconds: 21.9), StageTiming(stage: "gridshift", seconds: 0.8),
            StageTiming(stage: "metrics", seconds: 0.1), StageTiming(stage: "report", seconds: 0.4),
        ],
        coordinates: coordinates,
        clusterLabels: clusterLabels,
        trueLabels: trueLabels,
        classNames: Array(classNames.prefix(classes)),
        training: training,
        clusterSamples: samples,
        viewPairs: pairs)
}

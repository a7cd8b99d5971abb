// Benchmarks of the contrastive suite: one training step of BYOL, BYOL + NRCC (SGHMC views
// and the regularizer) and InfoNCE (+ NRCC), ResNet-18 width 16, 28x28x1, batch 256, all
// measured in this one invocation so that their ratios are meaningful on a noisy machine.
// Compare with Benchmarks/reference/nrcc_step.py (PyTorch, 2 threads, in its four CPU modes),
// which NRCC_REFERENCE_PYTHON runs in the same invocation.
import ContrastiveLearning
import Datasets
import Foundation
import Basics
import TensorCore

func runContrastiveBenchmarks() throws {
    BLASThreads.set(processorCount)
    if let output = ProcessInfo.processInfo.environment["NRCC_QUALITY_OUTPUT"] {
        return try runContrastiveQuality(output: output)
    }
    // Single-threaded BLAS, as the trainer and the engine's byol_step run it.
    BLASThreads.set(1)
    defer { BLASThreads.set(processorCount) }
    let batch = 256.0
    // Steps of the two compared kinds alternate, so that load from other processes on a
    // shared machine weighs on both alike; medians of each.
    let (byol, nrcc) = alternatingStepSeconds(.init(paradigm: .byol, regularizer: false),
                                              .init(paradigm: .byol, regularizer: true), repeats: 3)
    Report.emit("contrastive_byol_step", ["images_per_second": batch / byol.seconds, "step_seconds": byol.seconds,
                                          "batch": 256, "loss": Double(byol.loss), "threads": processorCount])
    Report.emit("nrcc_step", ["images_per_second": batch / nrcc.seconds, "step_seconds": nrcc.seconds,
                              "ratio_to_byol_step": nrcc.seconds / byol.seconds, "batch": 256,
                              "loss": Double(nrcc.loss), "preset": "paper", "threads": processorCount])
    try PeerReference.compare(script: "nrcc_step.py", arguments: ["--modes", PeerReference.modes, "--repeats", "3"],
                                 referenceName: "nrcc_step_reference", seconds: nrcc.seconds,
                                 comparisonName: "nrcc_step_vs_pytorch")
    let (infonce, infonceNRCC) = alternatingStepSeconds(.init(paradigm: .infonce, regularizer: false),
                                                        .init(paradigm: .infonce, regularizer: true), repeats: 2)
    Report.emit("infonce_step", ["images_per_second": batch / infonce.seconds, "step_seconds": infonce.seconds,
                                 "ratio_to_byol_step": infonce.seconds / byol.seconds, "batch": 256,
                                 "threads": processorCount])
    Report.emit("infonce_nrcc_step", ["images_per_second": batch / infonceNRCC.seconds,
                                      "step_seconds": infonceNRCC.seconds,
                                      "ratio_to_infonce_step": infonceNRCC.seconds / infonce.seconds, "batch": 256,
                                      "threads": processorCount])
}

/// One kind of training step: paradigm and regularizer on or off.
private struct StepKind {
    var paradigm: Paradigm
    var regularizer: Bool
}

/// The median seconds of one full training step (forward, SGHMC when on, loss, backward,
/// SGD, EMA) of each kind on the same fixed random 28x28 views, after one warm-up step
/// each, the kinds alternating; and the last loss of each.
private func alternatingStepSeconds(_ first: StepKind, _ second: StepKind, repeats: Int)
    -> (first: (seconds: Double, loss: Float), second: (seconds: Double, loss: Float)) {
    var generator = SeededGenerator(seed: 3)
    let viewA = Tensor.randomNormal([256, 1, 28, 28], generator: &generator)
    let viewB = Tensor.randomNormal([256, 1, 28, 28], generator: &generator)
    let models = [first, second].map { kind in
        ContrastiveStep(configuration: TrainingConfiguration(
            paradigm: kind.paradigm, usesRegularizer: kind.regularizer, preset: .paper,
            inputChannels: 1, inputHeight: 28, inputWidth: 28, width: 16, batchSize: 256, epochs: 1, seed: 3))
    }
    var times: [[Double]] = [[], []]
    var losses: [Float] = [0, 0]
    for round in 0...repeats {
        for (index, model) in models.enumerated() {
            let start = DispatchTime.now().uptimeNanoseconds
            losses[index] = model.step(viewA: viewA, viewB: viewB, learningRate: 0.05, targetMomentum: 0.996,
                                       sghmcGenerator: &generator).total
            if round > 0 { times[index].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
        }
    }
    return ((median(times[0]), losses[0]), (median(times[1]), losses[1]))
}

/// The training half of `Benchmarks/quality.sh`: with `NRCC_QUALITY_OUTPUT=<dir>` set,
/// `nrcc-bench contrastive` trains instead of timing steps. For each dataset in
/// `NRCC_QUALITY_DATASETS` (default `digits`) and each run in `NRCC_QUALITY_RUNS` (default
/// `byol+nrcc,byol,infonce+nrcc,infonce`), it trains the CPU default configuration sized for
/// `NRCC_QUALITY_MINUTES` (default 5; `NRCC_QUALITY_CROP_MIN` overrides the smallest crop
/// area) and writes `<dir>/<dataset>-<run>.npy` (the embedding),
/// `<dir>/<dataset>-labels.npy`, `<dir>/<dataset>-pixels.npy` and one JSON line per run.
func runContrastiveQuality(output: String) throws {
    let environment = ProcessInfo.processInfo.environment
    let minutes = Double(environment["NRCC_QUALITY_MINUTES"] ?? "5") ?? 5
    let datasets = (environment["NRCC_QUALITY_DATASETS"] ?? "digits").split(separator: ",").map(String.init)
    let runs = (environment["NRCC_QUALITY_RUNS"] ?? "byol+nrcc,byol,infonce+nrcc,infonce").split(separator: ",").map(String.init)
    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
    for name in datasets {
        let dataset = try loadImageDataset(name)
        if let labels = dataset.labels {
            try writeNPY(labels, shape: [labels.count], to: "\(output)/\(name)-labels.npy")
        }
        try writeNPY(dataset.floatPixels(), shape: [dataset.count, dataset.imageSize], to: "\(output)/\(name)-pixels.npy")
        for run in runs {
            let paradigm: Paradigm = run.hasPrefix("infonce") ? .infonce : .byol
            var configuration = try TrainingConfiguration.cpuDefault(
                paradigm: paradigm, usesRegularizer: run.hasSuffix("+nrcc"), preset: .paper,
                for: dataset, minutes: minutes, seed: 1)
            if let smallest = environment["NRCC_QUALITY_CROP_MIN"].flatMap(Float.init) {
                configuration.augmentation.cropScale = smallest...1
            }
            let directory = URL(fileURLWithPath: "\(output)/\(name)-\(run)")
            let trainer = try Trainer(configuration: configuration, dataset: dataset, outputDirectory: directory)
            let start = DispatchTime.now().uptimeNanoseconds
            let history = try trainer.run()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let features = try embed(checkpoint: trainer.checkpointURL, dataset: dataset)
            try writeNPY(features, shape: [dataset.count, configuration.projectionSize], to: "\(output)/\(name)-\(run).npy")
            let last = history.last!
            Report.emit("quality_training", [
                "dataset": name, "run": run, "epochs": configuration.epochs, "training_seconds": seconds,
                "loss": last.loss, "knn_accuracy": last.knnAccuracy ?? -1,
                "feature_std": last.featureStandardDeviation ?? -1, "images_per_second": last.imagesPerSecond,
            ])
        }
    }
}

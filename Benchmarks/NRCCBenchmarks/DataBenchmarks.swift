// Benchmarks of the data suite: reading the real files, and the two-view augmentation the
// loader runs per batch (SPEC §4 settings, batch 256), against the training step's pace.
import Datasets
import Foundation
import Basics
import TensorCore

/// Images per second the training step processes on this kind of machine (narrow ResNet-18,
/// batch 256, two views); the loader must run at least 5x faster than it.
private let trainingStepImagesPerSecond = 300.0

func runDataBenchmarks() throws {
    var fashion: ImageDataset
    var readSeconds = 0.0
    do {
        readSeconds = try medianSeconds(warmup: 0, repeats: 3) {
            _ = try loadImageDataset("fashion-mnist", split: .train)
        }
        fashion = try loadImageDataset("fashion-mnist", split: .train)
        Report.emit("read_fashion_mnist", ["seconds": readSeconds, "images": fashion.count,
                                           "images_per_second": Double(fashion.count) / readSeconds])
    } catch {
        // Without the Debian package, digits resized to 28 x 28 stand in (same shape and work).
        let digits = try embeddedDigits()
        fashion = digits.resized(height: 28, width: 28)
        fashion.name = "digits-28x28"
    }
    let cifar = try loadImageDataset("cifar10")
    for dataset in [fashion, cifar] {
        try benchmarkAugmentation(dataset)
    }
    try benchmarkPrefetch(cifar)
}

/// How long the training loop waits in `next()` when each step takes `stepSeconds` (a sleep
/// standing in for the step): near zero when the background thread keeps ahead.
private func benchmarkPrefetch(_ dataset: ImageDataset) throws {
    let loader = try TwoViewLoader(dataset: dataset, batchSize: 256, normalization: Normalization(of: dataset), seed: 1)
    let stepSeconds = 0.5
    let stream = loader.batches()
    _ = stream.next()
    var waits = [Double]()
    for _ in 0..<6 {
        usleep(UInt32(stepSeconds * 1e6))
        let start = DispatchTime.now().uptimeNanoseconds
        _ = stream.next()
        waits.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    Report.emit("loader_prefetch", [
        "dataset": dataset.name, "batch": 256, "step_seconds": stepSeconds,
        "median_wait_seconds": median(waits), "max_wait_seconds": waits.max() ?? 0,
    ])
}

private func benchmarkAugmentation(_ dataset: ImageDataset) throws {
    let batchSize = 256
    let loader = try TwoViewLoader(dataset: dataset, batchSize: batchSize, settings: AugmentationSettings(),
                                   normalization: Normalization(of: dataset), seed: 1)
    var step = 0
    // Each run makes the next step's batch: two views of 256 images.
    let seconds = medianSeconds(warmup: 2, repeats: 15) {
        _ = loader.batch(epoch: 0, step: step % loader.stepsPerEpoch)
        step += 1
    }
    // CPU time per batch, all threads together: steadier than wall time on a shared machine.
    let cpuStart = processCPUSeconds()
    for _ in 0..<10 {
        _ = loader.batch(epoch: 0, step: step % loader.stepsPerEpoch)
        step += 1
    }
    let cpuSecondsPerBatch = (processCPUSeconds() - cpuStart) / 10
    var withBlur = AugmentationSettings()
    withBlur.blurProbability = 0.5
    let blurLoader = try TwoViewLoader(dataset: dataset, batchSize: batchSize, settings: withBlur,
                                       normalization: Normalization(of: dataset), seed: 1)
    let blurSeconds = medianSeconds(warmup: 1, repeats: 9) {
        _ = blurLoader.batch(epoch: 0, step: step % blurLoader.stepsPerEpoch)
        step += 1
    }
    let imagesPerSecond = Double(batchSize) / seconds
    Report.emit("augment", [
        "dataset": dataset.name,
        "shape": "\(dataset.channels)x\(dataset.height)x\(dataset.width)",
        "batch": batchSize,
        "views": 2,
        "threads": processorCount,
        "seconds_per_batch": seconds,
        // Samples per second, each with its two views made (views per second is twice this).
        "images_per_second": imagesPerSecond,
        "views_per_second": 2 * imagesPerSecond,
        "images_per_second_with_blur": Double(batchSize) / blurSeconds,
        "cpu_seconds_per_batch": cpuSecondsPerBatch,
        "images_per_cpu_second": Double(batchSize) / cpuSecondsPerBatch,
        "training_step_images_per_second": trainingStepImagesPerSecond,
        "ratio_to_training_step": imagesPerSecond / trainingStepImagesPerSecond,
    ])
}

/// CPU seconds this process has used, all threads together.
private func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

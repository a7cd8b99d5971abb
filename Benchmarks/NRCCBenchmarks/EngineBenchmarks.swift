// Benchmarks of the engine suite: GEMM, convolution layers of the narrow ResNet-18, and one
// full BYOL training step. Compare with Benchmarks/reference/byol_step.py (PyTorch, 2 threads,
// in its four CPU modes), which NRCC_REFERENCE_PYTHON runs in the same invocation.
import Foundation
import NeuralNetworks
import Basics
import TensorCore

func runEngineBenchmarks() throws {
    // Training runs with single-threaded BLAS: convolutions then split the batch over the
    // cores themselves, which costs less CPU than synchronising BLAS threads on every small
    // product. NRCC_BLAS_THREADS overrides it, for comparison.
    let blasThreads = ProcessInfo.processInfo.environment["NRCC_BLAS_THREADS"].flatMap(Int.init)
    BLASThreads.set(blasThreads ?? 1)
    let seconds = benchmarkBYOLStep()
    try PeerReference.compare(script: "byol_step.py", arguments: ["--modes", PeerReference.modes],
                                 referenceName: "byol_step_reference", seconds: seconds,
                                 comparisonName: "byol_step_vs_pytorch")
    BLASThreads.set(processorCount)
    benchmarkGEMM()
    BLASThreads.set(blasThreads ?? 1)
    benchmarkConvolutions()
}

/// `{"name": "gemm_1024", "gflops": ...}`: a 1024^3 single-precision matrix product.
private func benchmarkGEMM() {
    let size = 1024
    var generator = SeededGenerator(seed: 1)
    let a = Tensor.randomNormal([size, size], generator: &generator)
    let b = Tensor.randomNormal([size, size], generator: &generator)
    let seconds = medianSeconds(warmup: 2, repeats: 10) { _ = matmul(a, b) }
    Report.emit("gemm_1024", ["gflops": 2 * pow(Double(size), 3) / seconds / 1e9,
                              "threads": BLASThreads.count])
}

/// `{"name": "conv_<layer>", "gflops": ...}`: forward + backward (input and weight
/// gradients) of each 3x3 convolution shape of ResNet-18 width 16 on 28x28 inputs, batch 256
/// (Benchmarks/reference/byol_step.py times the same in PyTorch).
private func benchmarkConvolutions() {
    let shapes: [(name: String, channels: Int, filters: Int, size: Int, stride: Int)] = [
        ("conv_layer1_16x28x28", 16, 16, 28, 1),
        ("conv_layer2_down_16to32_28x28", 16, 32, 28, 2),
        ("conv_layer2_32x14x14", 32, 32, 14, 1),
        ("conv_layer3_down_32to64_14x14", 32, 64, 14, 2),
        ("conv_layer3_64x7x7", 64, 64, 7, 1),
        ("conv_layer4_128x4x4", 128, 128, 4, 1),
    ]
    let batch = 256
    for shape in shapes {
        var generator = SeededGenerator(seed: 2)
        let input = Tensor.randomNormal([batch, shape.channels, shape.size, shape.size],
                                        generator: &generator, requiresGradient: true)
        let weight = Tensor.randomNormal([shape.filters, shape.channels, 3, 3],
                                         standardDeviation: 0.1, generator: &generator, requiresGradient: true)
        let workspace = ConvolutionWorkspace()
        let outputSize = (shape.size + 2 - 3) / shape.stride + 1
        let seconds = medianSeconds(warmup: 1, repeats: 5) {
            let output = conv2d(input, weight: weight, stride: shape.stride, padding: 1, workspace: workspace)
            output.backward(seed: Tensor(shape: output.shape, repeating: 1))
            input.zeroGradient()
            weight.zeroGradient()
        }
        // Forward, input gradient and weight gradient: three products of the same size.
        let flops = 3 * 2 * Double(batch * shape.filters * outputSize * outputSize * shape.channels * 9)
        Report.emit(shape.name, ["gflops": flops / seconds / 1e9, "batch": batch,
                                 "forward_backward_ms": seconds * 1000])
    }
}

/// `{"name": "byol_step", "images_per_second": ...}`: two views through the online
/// f + g + q, the target f + g without gradient, the symmetric BYOL loss, backward, SGD
/// (momentum 0.9, weight decay 5e-4, predictor at 10x), EMA of the target. Returns the
/// median step's seconds.
private func benchmarkBYOLStep() -> Double {
    let batch = 256, width = 16, hidden = 1024, projection = 256
    var generator = SeededGenerator(seed: 3)
    let backbone = ResNet(depth: .resnet18, width: width, inputChannels: 1, stem: .cifar, generator: &generator)
    let projector = ProjectionHead(inputSize: backbone.featureSize, hiddenSize: hidden, outputSize: projection,
                                   generator: &generator)
    let predictor = ProjectionHead(inputSize: projection, hiddenSize: hidden, outputSize: projection,
                                   generator: &generator)
    let targetBackbone = ResNet(depth: .resnet18, width: width, inputChannels: 1, stem: .cifar, generator: &generator)
    let targetProjector = ProjectionHead(inputSize: backbone.featureSize, hiddenSize: hidden, outputSize: projection,
                                         generator: &generator)
    targetBackbone.copyState(from: backbone)
    targetProjector.copyState(from: projector)
    targetBackbone.setRequiresGradient(false)
    targetProjector.setRequiresGradient(false)
    let optimizer = SGD(groups: [
        .init(parameters: backbone.parameters + projector.parameters, weightDecay: 5e-4),
        .init(parameters: predictor.parameters, learningRateScale: 10, weightDecay: 5e-4),
    ], momentum: 0.9)
    let viewA = Tensor.randomNormal([batch, 1, 28, 28], generator: &generator)
    let viewB = Tensor.randomNormal([batch, 1, 28, 28], generator: &generator)

    func byolLoss(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        (2 - 2 * cosineSimilarity(prediction, target)).mean()
    }
    var lastLoss: Float = 0
    var processorSeconds: [Double] = []
    let seconds = medianSeconds(warmup: 1, repeats: 5) {
        let startCPU = processorTime()
        defer { processorSeconds.append(processorTime() - startCPU) }
        let onlineA = predictor(projector(backbone(viewA, mode: .training), mode: .training), mode: .training)
        let onlineB = predictor(projector(backbone(viewB, mode: .training), mode: .training), mode: .training)
        let (targetA, targetB) = withoutGradient {
            (targetProjector(targetBackbone(viewA, mode: .training), mode: .training),
             targetProjector(targetBackbone(viewB, mode: .training), mode: .training))
        }
        let loss = (byolLoss(onlineA, targetB) + byolLoss(onlineB, targetA)) * 0.5
        optimizer.zeroGradients()
        loss.backward()
        optimizer.step(learningRate: 0.05)
        targetBackbone.updateExponentialMovingAverage(toward: backbone, momentum: 0.996)
        targetProjector.updateExponentialMovingAverage(toward: projector, momentum: 0.996)
        lastLoss = loss.scalar
    }
    Report.emit("byol_step", ["images_per_second": Double(batch) / seconds, "batch": batch,
                              "step_seconds": seconds, "loss": Double(lastLoss),
                              "cpu_seconds_per_step": median(Array(processorSeconds.suffix(5))),
                              "threads": processorCount])
    return seconds
}

/// CPU time of the whole process (all threads), in seconds: less sensitive than wall time to
/// other work on a shared machine.
private func processorTime() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

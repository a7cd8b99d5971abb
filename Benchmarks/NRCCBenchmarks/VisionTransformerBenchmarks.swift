// The vit suite (`nrcc-bench vit`, not run by default: a minute or more): one BYOL step of
// ViT-Tiny (patch 4, 65 tokens) on 32x32x3, batch 256, as `nrcc train --backbone vit-tiny
// --paradigm byol --nrcc off` runs it (AdamW, target by EMA), and the parts of one transformer
// block, forward and backward, to say where the time goes. With NRCC_REFERENCE_PYTHON set to a
// Python that has torch and timm, the same invocation then runs
// Benchmarks/reference/vit_step.py (the same network in PyTorch, 2 threads, fp32 and bf16
// autocast, or the modes NRCC_VIT_REFERENCE_DTYPES lists, e.g. "fp32" where bf16 is emulated
// and takes many minutes a step) and prints the ratio.
import ContrastiveLearning
import Foundation
import NeuralNetworks
import Basics
import TensorCore

func runVisionTransformerBenchmarks() throws {
    BLASThreads.set(1)
    defer { BLASThreads.set(processorCount) }
    let environment = ProcessInfo.processInfo.environment
    let repeats = Int(environment["NRCC_VIT_REPEATS"] ?? "") ?? 2
    let batch = 256
    var configuration = TrainingConfiguration(paradigm: .byol, usesRegularizer: false, inputChannels: 3,
                                              inputHeight: 32, inputWidth: 32, batchSize: batch, epochs: 1, seed: 3)
    configuration.backbone = .vitTiny
    configuration.hiddenSize = 1024
    configuration.weightDecay = TrainingConfiguration.visionTransformerWeightDecay
    let model = ContrastiveStep(configuration: configuration)
    var generator = SeededGenerator(seed: 3)
    let viewA = Tensor.randomNormal([batch, 3, 32, 32], generator: &generator)
    let viewB = Tensor.randomNormal([batch, 3, 32, 32], generator: &generator)
    var loss: Float = 0
    let seconds = medianSeconds(warmup: 1, repeats: repeats) {
        loss = model.step(viewA: viewA, viewB: viewB, learningRate: 5e-4, targetMomentum: 0.996,
                          sghmcGenerator: &generator).total
    }
    let perBlock: Double = 65 * 12 * 192 * 192 + 2 * 65 * 65 * 192
    let multiplyAdds: Double = 12 * perBlock + 64 * 48 * 192
    // Forward passes: 2 online + 2 target; the backward pass costs about two forwards.
    let gflops = 2 * multiplyAdds * Double(batch) * 6 / seconds / 1e9
    Report.emit("vit_tiny_byol_step", ["images_per_second": Double(batch) / seconds, "step_seconds": seconds,
                                       "batch": batch, "loss": Double(loss), "gflops": gflops,
                                       "threads": processorCount, "repeats": repeats])
    emitBlockParts(batch: batch)
    try PeerReference.compare(script: "vit_step.py",
                                 arguments: ["--repeats", "\(repeats)",
                                             "--dtypes", environment["NRCC_VIT_REFERENCE_DTYPES"] ?? "fp32,bf16"],
                                 referenceName: "vit_tiny_byol_step_reference", seconds: seconds,
                                 comparisonName: "vit_tiny_byol_step_vs_pytorch")
}

/// Forward + backward of each part of one ViT-Tiny block on [256 x 65, 192] tokens: the four
/// linear layers (qkv, proj, fc1, fc2), attention, the two LayerNorms, GELU and the residual
/// additions. Medians of 3.
private func emitBlockParts(batch: Int) {
    let tokens = 65, width = 192, rows = batch * tokens
    var generator = SeededGenerator(seed: 5)
    let block = TransformerBlock(width: width, heads: 3, tokens: tokens, generator: &generator)
    let x = Tensor.randomNormal([rows, width], generator: &generator)
    x.requiresGradient = true
    func time(_ body: () -> Tensor) -> Double {
        medianSeconds(warmup: 1, repeats: 3) {
            let output = body()
            _ = gradients(of: output.sum(), withRespectTo: [x])
            block.zeroGradients()
        }
    }
    let qkv = Tensor.randomNormal([rows, 3 * width], generator: &generator)
    qkv.requiresGradient = true
    let hidden = Tensor.randomNormal([rows, 4 * width], generator: &generator)
    hidden.requiresGradient = true
    let parts: [String: Double] = [
        "whole_block": time { block(x, mode: .training) },
        "linear_qkv": time { block.attention.qkv(x, mode: .training) },
        "linear_proj": time { block.attention.projection(x, mode: .training) },
        "linear_fc1": time { block.fc1(x, mode: .training) },
        "linear_fc2": time { block.fc2(block.fc1(x, mode: .training), mode: .training) } ,
        "attention": medianSeconds(warmup: 1, repeats: 3) {
            _ = gradients(of: multiHeadAttention(qkv, tokens: tokens, heads: 3).sum(), withRespectTo: [qkv])
        },
        "layer_norm": time { block.norm1(x, mode: .training) },
        "gelu": medianSeconds(warmup: 1, repeats: 3) {
            _ = gradients(of: hidden.gelu().sum(), withRespectTo: [hidden])
        },
        "residual_add": time { x + x },
    ]
    var fields: [String: Any] = parts.mapValues { $0 }
    fields["linear_fc2"] = parts["linear_fc2"]! - parts["linear_fc1"]!
    fields["batch"] = batch
    fields["unit"] = "seconds, forward + backward of one block's part"
    Report.emit("vit_tiny_block_parts", fields)
}

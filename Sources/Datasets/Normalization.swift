// Per-dataset, per-channel normalisation (SPEC §4).
import Basics

/// Per-channel mean and standard deviation on the [0, 1] scale: a pixel becomes
/// `(byte / 255 - mean[c]) / std[c]`, as torchvision's `Normalize` after `ToTensor`.
public struct Normalization: Sendable, Equatable, Codable {
    /// One mean per channel, [0, 1] scale.
    public var mean: [Float]
    /// One standard deviation per channel, [0, 1] scale, all > 0.
    public var std: [Float]

    /// Explicit statistics, e.g. from a checkpoint's settings.
    public init(mean: [Float], std: [Float]) {
        checkArgument(mean.count == std.count, "Normalization: \(mean.count) means but \(std.count) stds")
        checkArgument(std.allSatisfy { $0 > 0 }, "Normalization: every std must be > 0, got \(std)")
        self.mean = mean
        self.std = std
    }

    /// Mean 0, std 1 per channel: pixels stay on the [0, 1] scale.
    public static func identity(channels: Int) -> Normalization {
        Normalization(mean: [Float](repeating: 0, count: channels), std: [Float](repeating: 1, count: channels))
    }

    /// The per-channel mean and (population) standard deviation of all pixels of `dataset`.
    ///
    /// A constant channel gets std 1 so that normalising never divides by zero.
    public init(of dataset: ImageDataset) {
        let plane = dataset.height * dataset.width
        var sums = [Double](repeating: 0, count: dataset.channels)
        var squares = [Double](repeating: 0, count: dataset.channels)
        dataset.pixels.withUnsafeBufferPointer { pixels in
            for n in 0..<dataset.count {
                for c in 0..<dataset.channels {
                    let start = (n * dataset.channels + c) * plane
                    // Integer sums are exact; a plane has at most 2^31 / 255^2 pixels in practice.
                    var sum = 0, square = 0
                    for p in start..<(start + plane) {
                        let value = Int(pixels[p])
                        sum += value
                        square += value * value
                    }
                    sums[c] += Double(sum)
                    squares[c] += Double(square)
                }
            }
        }
        let total = Double(max(1, dataset.count * plane))
        var mean = [Float](), std = [Float]()
        for c in 0..<dataset.channels {
            let average = sums[c] / total / 255
            let variance = max(0, squares[c] / total / (255 * 255) - average * average)
            mean.append(Float(average))
            std.append(variance > 1e-12 ? Float(variance.squareRoot()) : 1)
        }
        self.init(mean: mean, std: std)
    }
}

extension ImageDataset {
    /// The images at `indices`, normalised, without augmentation: what the encoder sees when
    /// embedding (eval mode). Output N x C x H x W floats.
    public func batch(_ indices: [Int], normalization: Normalization) -> ImageBatch {
        checkArgument(normalization.mean.count == channels,
                     "batch: normalisation has \(normalization.mean.count) channels, dataset has \(channels)")
        let size = imageSize, plane = height * width
        var output = [Float](repeating: 0, count: indices.count * size)
        for index in indices {
            checkArgument(index >= 0 && index < count, "batch: index \(index) outside 0..<\(count)")
        }
        output.withUnsafeMutableBufferPointer { output in
            let destination = UncheckedSendable(output)
            pixels.withUnsafeBufferPointer { pixels in
                let source = UncheckedSendable(pixels)
                // Each image writes only its own slice of the output.
                parallelFor(indices.count, minimumChunk: 64) { position in
                    let from = indices[position] * size, to = position * size
                    for c in 0..<channels {
                        let scale = 1 / (255 * normalization.std[c])
                        let shift = -normalization.mean[c] / normalization.std[c]
                        for p in 0..<plane {
                            destination.value[to + c * plane + p] =
                                Float(source.value[from + c * plane + p]) * scale + shift
                        }
                    }
                }
            }
        }
        return ImageBatch(count: indices.count, channels: channels, height: height, width: width,
                          pixels: output, indices: indices)
    }
}

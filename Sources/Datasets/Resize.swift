import Basics

// Resampling with a triangle (bilinear) filter widened when shrinking, as PIL's BILINEAR
// resize and torchvision's `antialias=True` do, so large photos shrink without aliasing.

/// Filter taps along one axis: output `i` = sum over `k` of weights[i][k] * input[start[i] + k].
struct ResampleTaps {
    var start: [Int]
    var weights: [[Float]]

    /// Taps mapping the source interval [origin, origin + length) onto `outputSize` samples.
    init(origin: Double, length: Double, inputSize: Int, outputSize: Int) {
        let scale = length / Double(outputSize)
        let support = max(1, scale)
        start = []
        weights = []
        for i in 0..<outputSize {
            let centre = origin + (Double(i) + 0.5) * scale
            let low = max(0, Int((centre - support).rounded(.down)))
            let high = min(inputSize, Int((centre + support).rounded(.up)))
            var row = [Float]()
            var total = 0.0
            var first = low
            var values = [Double]()
            for j in low..<max(low, high) {
                let weight = max(0, 1 - abs((Double(j) + 0.5 - centre) / support))
                values.append(weight)
                total += weight
            }
            if total <= 0 {
                // The centre lies outside the image: take the nearest edge pixel.
                first = min(inputSize - 1, max(0, Int(centre)))
                row = [1]
            } else {
                row = values.map { Float($0 / total) }
            }
            start.append(first)
            weights.append(row)
        }
    }
}

/// Resizes C x H x W bytes to C x `height` x `width` (antialiased bilinear).
public func resizeImage(_ pixels: [UInt8], channels: Int, height: Int, width: Int,
                        toHeight outputHeight: Int, width outputWidth: Int) -> [UInt8] {
    checkArgument(pixels.count == channels * height * width,
                 "resizeImage: \(channels)x\(height)x\(width) needs \(channels * height * width) bytes, got \(pixels.count)")
    checkArgument(outputHeight > 0 && outputWidth > 0, "resizeImage: empty output \(outputHeight)x\(outputWidth)")
    if height == outputHeight && width == outputWidth { return pixels }
    let rows = ResampleTaps(origin: 0, length: Double(height), inputSize: height, outputSize: outputHeight)
    let columns = ResampleTaps(origin: 0, length: Double(width), inputSize: width, outputSize: outputWidth)
    var output = [UInt8](repeating: 0, count: channels * outputHeight * outputWidth)
    var horizontal = [Float](repeating: 0, count: height * outputWidth)
    for c in 0..<channels {
        let plane = c * height * width
        for y in 0..<height {
            for x in 0..<outputWidth {
                var sum: Float = 0
                let base = plane + y * width + columns.start[x]
                for (k, weight) in columns.weights[x].enumerated() { sum += weight * Float(pixels[base + k]) }
                horizontal[y * outputWidth + x] = sum
            }
        }
        for y in 0..<outputHeight {
            for x in 0..<outputWidth {
                var sum: Float = 0
                for (k, weight) in rows.weights[y].enumerated() {
                    sum += weight * horizontal[(rows.start[y] + k) * outputWidth + x]
                }
                output[(c * outputHeight + y) * outputWidth + x] = UInt8(max(0, min(255, sum.rounded())))
            }
        }
    }
    return output
}

extension ImageDataset {
    /// Every image resized to `height` x `width` (antialiased bilinear).
    public func resized(height newHeight: Int, width newWidth: Int) -> ImageDataset {
        if newHeight == height && newWidth == width { return self }
        var output = [UInt8]()
        output.reserveCapacity(count * channels * newHeight * newWidth)
        for n in 0..<count {
            output += resizeImage(image(at: n), channels: channels, height: height, width: width,
                                  toHeight: newHeight, width: newWidth)
        }
        return ImageDataset(name: name, count: count, channels: channels, height: newHeight, width: newWidth,
                            pixels: output, labels: labels, classNames: classNames)
    }
}

// The token sequences of a Vision Transformer: images cut into patches, the class token and
// position embeddings, and the class token's features taken back out.
import Basics

extension Tensor {
    /// Images cut into non-overlapping `size` x `size` patches, one row per patch:
    /// [N, C, H, W] -> [N (H/p)(W/p), C p p], patches in raster order, each row ordered
    /// (channel, row, column) like a convolution weight [D, C, p, p] flattened. A linear map
    /// of these rows is timm's `PatchEmbed` (a convolution with kernel and stride p).
    /// d/dx = g put back in place (every pixel belongs to one patch).
    public func patches(size: Int) -> Tensor {
        checkArgument(rank == 4, "patches: expected [N, C, H, W], got shape \(shape)")
        let (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        checkArgument(size > 0 && height % size == 0 && width % size == 0,
                     "patches: \(height)x\(width) images do not divide into \(size)x\(size) patches; choose a patch size that divides both")
        let across = width / size, down = height / size, rowSize = channels * size * size
        let result = Tensor.uninitialized([batch * down * across, rowSize])
        // For every element of a patch row, its offset within the image from the patch's corner.
        var corner = [Int](repeating: 0, count: rowSize)
        for channel in 0..<channels {
            for i in 0..<size { for j in 0..<size { corner[(channel * size + i) * size + j] = (channel * height + i) * width + j } }
        }
        let x = UncheckedSendable(storage.pointer), z = UncheckedSendable(result.storage.pointer)
        let imageSize = channels * height * width
        func patchOrigin(_ patch: Int) -> Int {
            let sample = patch / (down * across), place = patch % (down * across)
            return sample * imageSize + (place / across) * size * width + (place % across) * size
        }
        corner.withUnsafeBufferPointer { corner in
            parallelChunks(batch * down * across, minimumChunk: 1024) { range in
                for patch in range {
                    let origin = patchOrigin(patch), row = z.value + patch * rowSize
                    for element in 0..<rowSize { row[element] = x.value[origin + corner[element]] }
                }
            }
        }
        let patchCount = batch * down * across
        result.record([self]) { _, g in
            let destination = self.gradientDestination()
            corner.withUnsafeBufferPointer { corner in
                parallelChunks(patchCount, minimumChunk: 1024) { range in
                    for patch in range {
                        let origin = patchOrigin(patch), row = g + patch * rowSize
                        for element in 0..<rowSize { destination.write(origin + corner[element], row[element]) }
                    }
                }
            }
        }
        return result
    }

    /// Row `index` of every sequence of `tokens` rows: [N L, D] -> [N, D] (the class token's
    /// features, index 0, feed the projector). d/dx = g in those rows, 0 elsewhere.
    public func tokenRows(_ index: Int, tokens: Int) -> Tensor {
        checkArgument(rank == 2 && tokens > 0 && shape[0] % tokens == 0 && (0..<tokens).contains(index),
                     "tokenRows: shape \(shape) is not [N \(tokens), D] or token \(index) is out of range")
        let samples = shape[0] / tokens, width = shape[1]
        let result = Tensor.uninitialized([samples, width])
        for sample in 0..<samples {
            (result.storage.pointer + sample * width).update(from: storage.pointer + (sample * tokens + index) * width, count: width)
        }
        result.record([self]) { _, g in
            let gradX = self.gradientPointer()
            for sample in 0..<samples {
                let row = gradX + (sample * tokens + index) * width
                for j in 0..<width { row[j] += g[sample * width + j] }
            }
        }
        return result
    }
}

/// The input sequence of a ViT: the class token, then the patch embeddings, plus the position
/// embeddings (timm's `_pos_embed` with a class token): row 0 of sample n is `classToken +
/// positions[0]`, row 1 + p is `patchEmbeddings[n P + p] + positions[1 + p]`.
///
/// - patchEmbeddings: [N P, D]; classToken: [1, 1, D]; positionEmbedding: [1, P + 1, D].
/// - Returns: [N (P + 1), D].
///
/// d patch = g at its row; d classToken = sum over samples of g at row 0; d positions[t] =
/// sum over samples of g at row t (samples added in order).
public func tokenSequence(patchEmbeddings: Tensor, classToken: Tensor, positionEmbedding: Tensor) -> Tensor {
    checkArgument(patchEmbeddings.rank == 2, "tokenSequence: patch embeddings must be [N P, D], got shape \(patchEmbeddings.shape)")
    let width = patchEmbeddings.shape[1]
    checkArgument(classToken.shape == [1, 1, width],
                 "tokenSequence: class token has shape \(classToken.shape), expected [1, 1, \(width)]")
    checkArgument(positionEmbedding.rank == 3 && positionEmbedding.shape[0] == 1 && positionEmbedding.shape[2] == width,
                 "tokenSequence: position embedding has shape \(positionEmbedding.shape), expected [1, P + 1, \(width)]")
    let tokens = positionEmbedding.shape[1], patchCount = tokens - 1
    checkArgument(patchCount > 0 && patchEmbeddings.shape[0] % patchCount == 0,
                 "tokenSequence: \(patchEmbeddings.shape[0]) patch rows are not a multiple of the \(patchCount) patches the position embedding has")
    let samples = patchEmbeddings.shape[0] / patchCount
    let result = Tensor.uninitialized([samples * tokens, width])
    let x = patchEmbeddings.storage.pointer, cls = classToken.storage.pointer, positions = positionEmbedding.storage.pointer
    let z = UncheckedSendable(result.storage.pointer)
    parallelChunks(samples, minimumChunk: 16) { range in
        for sample in range {
            let out = z.value + sample * tokens * width
            for j in 0..<width { out[j] = cls[j] + positions[j] }
            let patches = x + sample * patchCount * width
            for i in 0..<(patchCount * width) { out[width + i] = patches[i] + positions[width + i] }
        }
    }
    result.record([patchEmbeddings, classToken, positionEmbedding]) { _, g in
        if patchEmbeddings.isGradientNeeded {
            let destination = patchEmbeddings.gradientDestination()
            parallelChunks(samples, minimumChunk: 16) { range in
                for sample in range {
                    let source = g + sample * tokens * width + width
                    for i in 0..<(patchCount * width) { destination.write(sample * patchCount * width + i, source[i]) }
                }
            }
        }
        if classToken.isGradientNeeded {
            let gradient = classToken.gradientPointer()
            for sample in 0..<samples { for j in 0..<width { gradient[j] += g[sample * tokens * width + j] } }
        }
        if positionEmbedding.isGradientNeeded {
            let gradient = positionEmbedding.gradientPointer()
            for sample in 0..<samples {
                let source = g + sample * tokens * width
                for i in 0..<(tokens * width) { gradient[i] += source[i] }
            }
        }
    }
    return result
}

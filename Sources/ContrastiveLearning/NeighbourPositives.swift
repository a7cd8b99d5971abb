// Nearest-neighbour positives (NNCLR: Dwibedi et al. 2021, "With a little help from my
// friends"), beyond the paper: InfoNCE whose positive for a view is not the other view of the
// same image but that view's nearest neighbour among the embeddings of earlier batches. The
// neighbour is another image, so the loss asks the network to hold different images of one
// kind together, where instance discrimination alone keeps every image apart from every other.
import Basics
import NeuralNetworks
import TensorCore

/// The support set Q: the L2-normalised projections of view a of the last `capacity` images
/// trained on, each with the index of its image, a ring buffer that the step fills after each
/// update. An image's own earlier embeddings are never its neighbour: on a small data set Q
/// holds a large share of the images, and an image's embedding of an epoch ago is usually the
/// row nearest to it, which would make the "neighbour" the image itself.
public final class SupportSet {
    /// Q's rows, [capacity, D]; only the first `filled` are embeddings.
    let entries: Tensor
    /// [capacity], counters: the image of each row (-1: not known; exact to 2^24 images, as
    /// floats, past which two images' indices may round together and exclude each other).
    private let images: Tensor
    /// [1] each, counters: rows holding embeddings, and the row the next one overwrites.
    private let filledCounter: Tensor, positionCounter: Tensor

    public let capacity: Int
    public let dimension: Int

    /// The largest support set: a batch of 256 queries against it is a 256 x 65,536 product.
    public static let maximumSize = 65_536

    public init(capacity: Int, dimension: Int) {
        checkArgument(capacity >= 1 && dimension >= 1, "SupportSet: capacity \(capacity) and dimension \(dimension) must be positive")
        self.capacity = capacity
        self.dimension = dimension
        entries = Tensor(shape: [capacity, dimension])
        images = Tensor(shape: [capacity])
        filledCounter = Tensor(shape: [1])
        positionCounter = Tensor(shape: [1])
    }

    /// Rows holding embeddings (at most `capacity`).
    public var filled: Int { Int(filledCounter.scalars[0]) }

    /// The state a checkpoint keeps, so that a resumed run searches the same rows.
    public var namedState: [NamedTensor] {
        [NamedTensor("entries", entries), NamedTensor("images", images, isCounter: true),
         NamedTensor("filled", filledCounter, isCounter: true), NamedTensor("position", positionCounter, isCounter: true)]
    }

    /// Why the counters cannot be this set's (a damaged or crafted checkpoint), or nil.
    public var stateProblem: String? {
        let filled = filledCounter.scalars[0], position = positionCounter.scalars[0]
        guard filled == filled.rounded(), (0...Float(capacity)).contains(filled),
              position == position.rounded(), (0..<Float(capacity)).contains(position) else {
            return "support set counters filled \(filled), position \(position); expected whole numbers in 0...\(capacity) and 0..<\(capacity)"
        }
        guard images.scalars.allSatisfy({ $0 >= -1 && $0 == $0.rounded() }) else {
            return "support set image indices are not whole numbers >= -1"
        }
        return entries.scalars.allSatisfy(\.isFinite) ? nil : "support set holds non-finite values"
    }

    /// For each row of `queries` [N, D] (L2-normalised) of the images `queryImages`, the row
    /// of Q of largest inner product among those of other images (the lowest index on a
    /// tie), as a constant [N, D]; the query itself where Q holds no other image's row. nil
    /// while Q is empty. Without `queryImages` every row of Q is a candidate.
    public func nearest(to queries: Tensor, of queryImages: [Int]? = nil) -> Tensor? {
        checkArgument(queries.rank == 2 && queries.shape[1] == dimension,
                      "SupportSet.nearest: queries have shape \(queries.shape), expected [N, \(dimension)]")
        checkArgument(queryImages.map { $0.count == queries.shape[0] } ?? true,
                      "SupportSet.nearest: \(queries.shape[0]) queries, \(queryImages?.count ?? 0) image indices")
        let rows = filled, count = queries.shape[0]
        guard rows > 0 else { return nil }
        var similarities = [Float](repeating: 0, count: count * rows)
        queries.withUnsafeBufferPointer { q in
            entries.withUnsafeBufferPointer { e in
                similarities.withUnsafeMutableBufferPointer { s in
                    parallelGEMM(transposeB: true, m: count, n: rows, k: dimension,
                                 a: q.baseAddress!, lda: dimension, b: e.baseAddress!, ldb: dimension,
                                 c: s.baseAddress!, ldc: rows, rowBlock: 32)
                }
            }
        }
        let rowImages = images.scalars
        var neighbours = queries.scalars
        entries.withUnsafeBufferPointer { e in
            for query in 0..<count {
                let own = queryImages.map { Float($0[query]) } ?? -2
                var best = -1, bestValue = -Float.infinity
                for row in 0..<rows where rowImages[row] != own && similarities[query * rows + row] > bestValue {
                    (best, bestValue) = (row, similarities[query * rows + row])
                }
                guard best >= 0 else { continue }
                for c in 0..<dimension { neighbours[query * dimension + c] = e[best * dimension + c] }
            }
        }
        return Tensor(shape: [count, dimension], scalars: neighbours)
    }

    /// Writes the rows of `embeddings` [N, D] (L2-normalised), of the images `rowImages` (nil:
    /// not known), over the oldest rows of Q.
    public func append(_ embeddings: Tensor, of rowImages: [Int]? = nil) {
        checkArgument(embeddings.rank == 2 && embeddings.shape[1] == dimension,
                      "SupportSet.append: embeddings have shape \(embeddings.shape), expected [N, \(dimension)]")
        checkArgument(rowImages.map { $0.count == embeddings.shape[0] && $0.allSatisfy { $0 >= 0 } } ?? true,
                      "SupportSet.append: \(embeddings.shape[0]) rows, \(rowImages?.count ?? 0) image indices (each >= 0)")
        var position = Int(positionCounter.scalars[0]), filled = self.filled
        embeddings.withUnsafeBufferPointer { source in
            entries.withUnsafeMutableBufferPointer { target in
                images.withUnsafeMutableBufferPointer { imageTarget in
                    for row in 0..<embeddings.shape[0] {
                        for c in 0..<dimension { target[position * dimension + c] = source[row * dimension + c] }
                        imageTarget[position] = rowImages.map { Float($0[row]) } ?? -1
                        position = (position + 1) % capacity
                        filled = min(filled + 1, capacity)
                    }
                }
            }
        }
        positionCounter.withUnsafeMutableBufferPointer { $0[0] = Float(position) }
        filledCounter.withUnsafeMutableBufferPointer { $0[0] = Float(filled) }
    }
}

/// NNCLR's loss, symmetrised over the views: with z the L2-normalised rows of a and b,
/// n^a = NN(z^a) and n^b = NN(z^b) their neighbours in the support set (constants),
///
///     L = 1/2 [ CE(n^a z^b^T / tau, diag) + CE(n^b z^a^T / tau, diag) ]
///
/// (mean cross-entropy of each row against the diagonal: image i's neighbour must pick out
/// image i's other view among the batch's).
///
/// - Parameters:
///   - a: projections of view a, [N, D] (not necessarily normalised).
///   - b: projections of view b, [N, D].
///   - neighboursA: n^a, [N, D]; no gradient flows to it.
///   - neighboursB: n^b, [N, D]; no gradient flows to it.
///   - temperature: tau.
/// - Returns: a scalar.
public func nearestNeighbourContrastiveLoss(_ a: Tensor, _ b: Tensor, neighboursA: Tensor, neighboursB: Tensor,
                                            temperature: Float = 0.1) -> Tensor {
    checkArgument(a.shape == b.shape && a.rank == 2 && neighboursA.shape == a.shape && neighboursB.shape == a.shape,
                  "nearestNeighbourContrastiveLoss: shapes \(a.shape), \(b.shape), \(neighboursA.shape), \(neighboursB.shape) must be equal [N, D]")
    checkArgument(temperature > 0, "nearestNeighbourContrastiveLoss: temperature (\(temperature)) must be positive")
    let diagonal = Array(0..<a.shape[0])
    let za = a.l2NormalizedRows(), zb = b.l2NormalizedRows()
    let ab = matmul(neighboursA.detached(), zb, transposeB: true) * (1 / temperature)
    let ba = matmul(neighboursB.detached(), za, transposeB: true) * (1 / temperature)
    return (softmaxCrossEntropy(logits: ab, labels: diagonal) + softmaxCrossEntropy(logits: ba, labels: diagonal)) * 0.5
}

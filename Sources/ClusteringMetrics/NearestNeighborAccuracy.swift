import Basics
import Foundation

/// Weighted k-nearest-neighbour accuracy of a labelled feature set, leave-one-out (the
/// monitor of Wu et al. 2018, "InstDisc", used by SPEC section 5 with k = 20, t = 0.07).
///
/// Protocol, exactly: every row is L2-normalised (an all-zero row stays zero). Each sample in
/// turn is the query; the references are all *other* samples (excluded by index, so exact
/// duplicates of the query still vote). The `neighborCount` references of highest cosine
/// similarity `s` vote for their label with weight `exp(s / temperature)`; the label with the
/// largest total wins (ties go to the smaller label value). The accuracy is the fraction of
/// queries whose winner is their own label. With fewer than `neighborCount + 1` samples all
/// other samples vote.
///
/// - Parameters:
///   - features: row-major `labels.count x dimension`.
///   - labels: one label per row.
/// - Returns: a value in [0, 1].
public func weightedKNNAccuracy(
    features: [Float], labels: [Int], dimension: Int,
    neighborCount: Int = 20, temperature: Float = 0.07
) -> Double {
    checkFeatures(features, labels, dimension, "features")
    checkArgument(labels.count >= 2, "weightedKNNAccuracy: leave-one-out needs 2 samples, got \(labels.count)")
    let normalized = rowNormalized(features, dimension: dimension)
    return knnAccuracy(
        queries: normalized, queryLabels: labels, references: normalized, referenceLabels: labels,
        dimension: dimension, neighborCount: neighborCount, temperature: temperature, leaveOneOut: true)
}

/// Weighted k-nearest-neighbour accuracy of `test` against a labelled `train` set: the same
/// vote as `weightedKNNAccuracy(features:labels:dimension:neighborCount:temperature:)`, with
/// the references the whole of `train` (no sample is excluded) and the queries `test`.
///
/// - Parameters:
///   - train: row-major `trainLabels.count x dimension`.
///   - test: row-major `testLabels.count x dimension`.
public func weightedKNNAccuracy(
    train: [Float], trainLabels: [Int], test: [Float], testLabels: [Int], dimension: Int,
    neighborCount: Int = 20, temperature: Float = 0.07
) -> Double {
    checkFeatures(train, trainLabels, dimension, "train")
    checkFeatures(test, testLabels, dimension, "test")
    return knnAccuracy(
        queries: rowNormalized(test, dimension: dimension), queryLabels: testLabels,
        references: rowNormalized(train, dimension: dimension), referenceLabels: trainLabels,
        dimension: dimension, neighborCount: neighborCount, temperature: temperature, leaveOneOut: false)
}

private func checkFeatures(_ features: [Float], _ labels: [Int], _ dimension: Int, _ name: String) {
    checkArgument(dimension > 0, "weightedKNNAccuracy: dimension must be positive, got \(dimension)")
    checkArgument(!labels.isEmpty, "weightedKNNAccuracy: \(name) has no samples")
    checkArgument(
        features.count == labels.count * dimension,
        "weightedKNNAccuracy: \(name) has \(features.count) values, \(labels.count) labels x \(dimension) is \(labels.count * dimension)")
}

private func rowNormalized(_ features: [Float], dimension: Int) -> [Float] {
    var result = features
    let rows = features.count / dimension
    for row in 0..<rows {
        var squares: Float = 0
        for column in 0..<dimension { squares += features[row * dimension + column] * features[row * dimension + column] }
        let scale: Float = squares > 0 ? 1 / squares.squareRoot() : 0
        for column in 0..<dimension { result[row * dimension + column] *= scale }
    }
    return result
}

/// Weighted k-nearest-neighbour accuracy with the cosine similarities supplied by the caller,
/// for callers that have a faster product than this dependency-free module (a BLAS `gemm`
/// of L2-normalised features). The vote is the one of
/// `weightedKNNAccuracy(features:labels:dimension:neighborCount:temperature:)`.
///
/// - Parameters:
///   - queryLabels: one label per query.
///   - referenceLabels: one label per reference.
///   - leaveOneOut: when true, queries and references are the same samples and reference
///     `i` never votes for query `i`.
///   - blockSize: the queries per call of `similarities`.
///   - similarities: fills `output` (row-major `queries.count x referenceLabels.count`) with
///     the similarity of each query in `queries` to every reference. Called once per block,
///     in order, never concurrently.
public func weightedKNNAccuracy(
    queryLabels: [Int], referenceLabels: [Int], leaveOneOut: Bool,
    neighborCount: Int = 20, temperature: Float = 0.07, blockSize: Int = 256,
    similarities: (_ queries: Range<Int>, _ output: UnsafeMutableBufferPointer<Float>) -> Void
) -> Double {
    checkArgument(!queryLabels.isEmpty && !referenceLabels.isEmpty, "weightedKNNAccuracy: no samples")
    checkArgument(!leaveOneOut || queryLabels.count == referenceLabels.count,
                 "weightedKNNAccuracy: leave-one-out needs as many queries (\(queryLabels.count)) as references (\(referenceLabels.count))")
    checkArgument(blockSize > 0, "weightedKNNAccuracy: blockSize must be positive, got \(blockSize)")
    checkArgument(neighborCount > 0, "weightedKNNAccuracy: neighborCount must be positive, got \(neighborCount)")
    checkArgument(temperature > 0, "weightedKNNAccuracy: temperature must be positive, got \(temperature)")
    let referenceCount = referenceLabels.count
    let k = min(neighborCount, leaveOneOut ? referenceCount - 1 : referenceCount)
    checkArgument(k >= 1, "weightedKNNAccuracy: leave-one-out needs 2 samples, got \(referenceCount)")
    let (classValues, referenceCodes) = ContingencyTable.denseCodes(referenceLabels)
    var block = [Float](repeating: 0, count: min(blockSize, queryLabels.count) * referenceCount)
    var correct = [Int](repeating: 0, count: queryLabels.count)
    var start = 0
    while start < queryLabels.count {
        let queries = start..<min(start + blockSize, queryLabels.count)
        block.withUnsafeMutableBufferPointer { buffer in
            similarities(queries, UnsafeMutableBufferPointer(rebasing: buffer[..<(queries.count * referenceCount)]))
        }
        block.withUnsafeBufferPointer { buffer in
            correct.withUnsafeMutableBufferPointer { correctBuffer in
                // Each row writes its own entry of `correct`.
                let shared = UncheckedSendable((rows: buffer.baseAddress!, correct: correctBuffer.baseAddress!))
                parallelChunks(queries.count, minimumChunk: 64) { rows in
                    var bestSimilarity = [Float](repeating: 0, count: k)
                    var bestIndex = [Int](repeating: 0, count: k)
                    var votes = [Double](repeating: 0, count: classValues.count)
                    for row in rows {
                        let query = queries.lowerBound + row
                        let similarity = shared.value.rows + row * referenceCount
                        var filled = 0, weakest = 0
                        for reference in 0..<referenceCount {
                            if leaveOneOut && reference == query { continue }
                            let value = similarity[reference]
                            if filled < k {
                                bestSimilarity[filled] = value
                                bestIndex[filled] = reference
                                filled += 1
                                if filled == k { weakest = indexOfMinimum(bestSimilarity) }
                            } else if value > bestSimilarity[weakest] {
                                bestSimilarity[weakest] = value
                                bestIndex[weakest] = reference
                                weakest = indexOfMinimum(bestSimilarity)
                            }
                        }
                        for c in votes.indices { votes[c] = 0 }
                        for slot in 0..<filled {
                            votes[referenceCodes[bestIndex[slot]]] += exp(Double(bestSimilarity[slot] / temperature))
                        }
                        // Class values are ascending, so a strict > keeps the smaller label on ties.
                        var winner = 0
                        for c in votes.indices where votes[c] > votes[winner] { winner = c }
                        shared.value.correct[query] = classValues[winner] == queryLabels[query] ? 1 : 0
                    }
                }
            }
        }
        start = queries.upperBound
    }
    return Double(correct.reduce(0, +)) / Double(queryLabels.count)
}

/// The built-in similarity product: rows of `queries` against all `references` (both
/// L2-normalised, row-major, `dimension` columns), the references split over the cores and
/// each reference row reused across the whole block of queries while it is in cache.
private func knnAccuracy(
    queries: [Float], queryLabels: [Int], references: [Float], referenceLabels: [Int],
    dimension: Int, neighborCount: Int, temperature: Float, leaveOneOut: Bool
) -> Double {
    let referenceCount = referenceLabels.count
    return queries.withUnsafeBufferPointer { queryBuffer in
        references.withUnsafeBufferPointer { referenceBuffer in
            weightedKNNAccuracy(
                queryLabels: queryLabels, referenceLabels: referenceLabels, leaveOneOut: leaveOneOut,
                neighborCount: neighborCount, temperature: temperature, blockSize: 64
            ) { block, output in
                // Chunks write disjoint columns (references) of `output`.
                let shared = UncheckedSendable((
                    queries: queryBuffer.baseAddress!, references: referenceBuffer.baseAddress!,
                    output: output.baseAddress!))
                parallelChunks(referenceCount, minimumChunk: 64) { referenceRange in
                    for reference in referenceRange {
                        let referenceRow = shared.value.references + reference * dimension
                        var row = 0
                        // Four queries per sweep share each load of the reference row.
                        while row + 4 <= block.count {
                            let first = shared.value.queries + (block.lowerBound + row) * dimension
                            let products = dot4(first, dimension, referenceRow, dimension)
                            for lane in 0..<4 { shared.value.output[(row + lane) * referenceCount + reference] = products[lane] }
                            row += 4
                        }
                        while row < block.count {
                            shared.value.output[row * referenceCount + reference] =
                                dotProduct(shared.value.queries + (block.lowerBound + row) * dimension, referenceRow, count: dimension)
                            row += 1
                        }
                    }
                }
            }
        }
    }
}

@inline(__always)
private func indexOfMinimum(_ values: [Float]) -> Int {
    var best = 0
    for index in values.indices where values[index] < values[best] { best = index }
    return best
}

/// The inner products of four consecutive rows (`stride` apart, from `rows`) with `b`.
@inline(__always)
private func dot4(_ rows: UnsafePointer<Float>, _ stride: Int, _ b: UnsafePointer<Float>, _ count: Int) -> SIMD4<Float> {
    var lanes0 = SIMD8<Float>(), lanes1 = SIMD8<Float>(), lanes2 = SIMD8<Float>(), lanes3 = SIMD8<Float>()
    var index = 0
    while index + 8 <= count {
        let y = UnsafeRawPointer(b + index).loadUnaligned(as: SIMD8<Float>.self)
        lanes0 += UnsafeRawPointer(rows + index).loadUnaligned(as: SIMD8<Float>.self) * y
        lanes1 += UnsafeRawPointer(rows + stride + index).loadUnaligned(as: SIMD8<Float>.self) * y
        lanes2 += UnsafeRawPointer(rows + 2 * stride + index).loadUnaligned(as: SIMD8<Float>.self) * y
        lanes3 += UnsafeRawPointer(rows + 3 * stride + index).loadUnaligned(as: SIMD8<Float>.self) * y
        index += 8
    }
    var sums = SIMD4<Float>(lanes0.sum(), lanes1.sum(), lanes2.sum(), lanes3.sum())
    while index < count {
        sums += SIMD4(rows[index], rows[stride + index], rows[2 * stride + index], rows[3 * stride + index]) * b[index]
        index += 1
    }
    return sums
}

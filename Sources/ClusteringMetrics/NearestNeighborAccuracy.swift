import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    precondition(labels.count >= 2, "weightedKNNAccuracy: leave-one-out needs 2 samples, got \(labels.count)")
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
    precondition(dimension > 0, "weightedKNNAccuracy: dimension must be positive, got \(dimension)")
    precondition(!labels.isEmpty, "weightedKNNAccuracy: \(name) has no samples")
    precondition(
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

private func knnAccuracy(
    queries: [Float], queryLabels: [Int], references: [Float], referenceLabels: [Int],
    dimension: Int, neighborCount: Int, temperature: Float, leaveOneOut: Bool
) -> Double {
    precondition(neighborCount > 0, "weightedKNNAccuracy: neighborCount must be positive, got \(neighborCount)")
    precondition(temperature > 0, "weightedKNNAccuracy: temperature must be positive, got \(temperature)")
    let queryCount = queryLabels.count, referenceCount = referenceLabels.count
    let available = leaveOneOut ? referenceCount - 1 : referenceCount
    let k = min(neighborCount, available)
    let (classValues, referenceCodes) = ContingencyTable.denseCodes(referenceLabels)
    var correct = [Int](repeating: 0, count: queryCount)
    let chunks = min(queryCount, max(1, activeProcessorCount() * 4))
    queries.withUnsafeBufferPointer { queryBuffer in
        references.withUnsafeBufferPointer { referenceBuffer in
            correct.withUnsafeMutableBufferPointer { correctBuffer in
                // Chunks write disjoint entries of `correct`; everything else is read-only.
                let shared = SendableBuffers(
                    queries: queryBuffer, references: referenceBuffer, correct: correctBuffer)
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    var bestSimilarity = [Float](repeating: 0, count: k)
                    var bestIndex = [Int](repeating: 0, count: k)
                    var votes = [Double](repeating: 0, count: classValues.count)
                    for query in (queryCount * chunk / chunks)..<(queryCount * (chunk + 1) / chunks) {
                        var filled = 0
                        var weakest = 0
                        let queryRow = shared.queries.baseAddress! + query * dimension
                        for reference in 0..<referenceCount {
                            if leaveOneOut && reference == query { continue }
                            let similarity = dot(queryRow, shared.references.baseAddress! + reference * dimension, dimension)
                            if filled < k {
                                bestSimilarity[filled] = similarity
                                bestIndex[filled] = reference
                                filled += 1
                                if filled == k { weakest = indexOfMinimum(bestSimilarity) }
                            } else if similarity > bestSimilarity[weakest] {
                                bestSimilarity[weakest] = similarity
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
                        shared.correct[query] = classValues[winner] == queryLabels[query] ? 1 : 0
                    }
                }
            }
        }
    }
    return Double(correct.reduce(0, +)) / Double(queryCount)
}

private struct SendableBuffers: @unchecked Sendable {
    let queries: UnsafeBufferPointer<Float>
    let references: UnsafeBufferPointer<Float>
    let correct: UnsafeMutableBufferPointer<Int>
}

@inline(__always)
private func indexOfMinimum(_ values: [Float]) -> Int {
    var best = 0
    for index in values.indices where values[index] < values[best] { best = index }
    return best
}

/// The inner product of two rows, eight lanes at a time.
@inline(__always)
private func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    var lanes = SIMD8<Float>()
    var index = 0
    while index + 8 <= count {
        let x = UnsafeRawPointer(a + index).loadUnaligned(as: SIMD8<Float>.self)
        let y = UnsafeRawPointer(b + index).loadUnaligned(as: SIMD8<Float>.self)
        lanes += x * y
        index += 8
    }
    var sum = lanes.sum()
    while index < count {
        sum += a[index] * b[index]
        index += 1
    }
    return sum
}

private func activeProcessorCount() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

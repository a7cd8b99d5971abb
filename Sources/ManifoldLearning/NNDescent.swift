import Basics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Settings of the approximate neighbour search (pynndescent's names in brackets).
public struct NNDescentParameters: Sendable, Equatable {
    /// At most this many local-join rounds [`n_iters`]; `nil` means `max(5, log2 n)`.
    public var maximumIterations: Int?
    /// New and old candidates sampled per point per round [`max_candidates`]; `nil` means
    /// `min(60, 2k)`.
    public var maximumCandidates: Int?
    /// Stops when fewer than `delta * n * k` heap entries change in a round [`delta`].
    public var delta: Double

    /// The defaults above.
    public init(maximumIterations: Int? = nil, maximumCandidates: Int? = nil, delta: Double = 0.001) {
        self.maximumIterations = maximumIterations
        self.maximumCandidates = maximumCandidates
        self.delta = delta
    }
}

/// NN-descent: start from random neighbours, then repeatedly compare each point's
/// neighbours with each other ("a neighbour of a neighbour is likely a neighbour").
///
/// Parallel and reproducible: every random choice is a hash of (seed, round, point, other),
/// so it does not depend on thread timing; a round first collects candidate pairs into
/// per-chunk lists against the heap roots frozen at the start of the round, then each owner
/// bucket of points applies the pairs that land in it, in chunk order. The result depends on
/// the seed alone, not on the number of cores.
func nnDescent(
    _ points: PreparedPoints, neighborCount k: Int, parameters: NNDescentParameters, seed: UInt64
) -> NeighborGraph {
    let n = points.count
    let slots = k - 1 // the point itself is prepended at the end
    if slots == 0 || n <= 1 {
        return NeighborGraph(pointCount: n, neighborCount: k,
                             indices: (0..<n).map { Int32($0) }, distances: [Float](repeating: 0, count: n))
    }
    let maxCandidates = parameters.maximumCandidates ?? min(60, 2 * k)
    let iterations = parameters.maximumIterations ?? max(5, Int(log2(Double(n)).rounded()))
    var heapDistances = [Float](repeating: .infinity, count: n * slots)
    var heapIndices = [Int32](repeating: -1, count: n * slots)
    var heapFlags = [UInt8](repeating: 0, count: n * slots)
    let chunkCount = 64, bucketCount = 16
    // Each point's bucket, point * bucketCount / n, read from a table: the pairs of the local
    // join ask for it twice each, and a division by n cost more than the lookup.
    let buckets = (0..<n).map { UInt8($0 * bucketCount / n) }
    let bucketOf = { (point: Int) -> Int in Int(buckets[point]) }

    heapDistances.withUnsafeMutableBufferPointer { hd in
    heapIndices.withUnsafeMutableBufferPointer { hi in
    heapFlags.withUnsafeMutableBufferPointer { hf in
        let heaps = UncheckedSendable((hd.baseAddress!, hi.baseAddress!, hf.baseAddress!))
        func heap(_ i: Int) -> NeighborHeap {
            NeighborHeap(distances: heaps.value.0 + i * slots, indices: heaps.value.1 + i * slots,
                         flags: heaps.value.2 + i * slots, capacity: slots)
        }
        // Random start: `slots` distinct others per point (each point writes its own heap).
        parallelFor(n, minimumChunk: 256) { i in
            let h = heap(i)
            h.clear()
            var generator = SeededGenerator(seed: seed, stream: [0, UInt64(i)])
            var attempts = 0
            while h.indices[0] < 0 && attempts < 4 * slots + 16 && n > 1 {
                attempts += 1
                let j = generator.nextInt(below: n)
                if j == i { continue }
                h.push(points.distance(i, j), Int32(j), flag: 1, checkDuplicates: true)
            }
        }

        var newCandidates = [Int32](repeating: -1, count: n * maxCandidates)
        var oldCandidates = [Int32](repeating: -1, count: n * maxCandidates)
        var priorities = [Float](repeating: 0, count: 2 * n * maxCandidates)
        var roots = [Float](repeating: 0, count: n)
        for round in 0..<iterations {
            // 1. Sample candidates: point i takes its own heap entries and the reverse ones
            //    (i in j's heap), keeping the maxCandidates of lowest hash priority.
            newCandidates.withUnsafeMutableBufferPointer { nc in
            oldCandidates.withUnsafeMutableBufferPointer { oc in
            priorities.withUnsafeMutableBufferPointer { pr in
                let lists = UncheckedSendable((nc.baseAddress!, oc.baseAddress!, pr.baseAddress!))
                // Each bucket owns a range of points and writes only their candidate lists.
                parallelFor(bucketCount) { bucket in
                    let lower = (bucket * n + bucketCount - 1) / bucketCount
                    let upper = ((bucket + 1) * n + bucketCount - 1) / bucketCount
                    if lower >= upper { return }
                    for i in lower..<upper {
                        for list in [lists.value.0, lists.value.1] {
                            for s in 0..<maxCandidates { list[i * maxCandidates + s] = -1 }
                        }
                        for s in 0..<(2 * maxCandidates) { lists.value.2[i * 2 * maxCandidates + s] = .infinity }
                    }
                    func offer(_ target: Int, _ candidate: Int32, isNew: Bool) {
                        let priority = hashUniform(seed, UInt64(round), UInt64(target), UInt64(candidate))
                        let base = target * maxCandidates
                        let list = isNew ? lists.value.0 + base : lists.value.1 + base
                        let keys = lists.value.2 + 2 * base + (isNew ? 0 : maxCandidates)
                        let h = NeighborHeap(distances: keys, indices: list, flags: nil, capacity: maxCandidates)
                        h.push(priority, candidate, checkDuplicates: true)
                    }
                    for i in 0..<n {
                        let h = heap(i)
                        for s in 0..<slots {
                            let j = Int(h.indices[s])
                            if j < 0 { continue }
                            let isNew = h.flags![s] != 0
                            if i >= lower && i < upper { offer(i, Int32(j), isNew: isNew) }
                            if j >= lower && j < upper { offer(j, Int32(i), isNew: isNew) }
                        }
                    }
                }
                // Entries sampled as new from a point's own heap become old; a second pass,
                // since every bucket above reads every heap's marks.
                parallelFor(bucketCount) { bucket in
                    let lower = (bucket * n + bucketCount - 1) / bucketCount
                    let upper = ((bucket + 1) * n + bucketCount - 1) / bucketCount
                    for i in lower..<upper {
                        let h = heap(i)
                        let sampled = lists.value.0 + i * maxCandidates
                        for s in 0..<slots where h.flags![s] != 0 {
                            for c in 0..<maxCandidates where sampled[c] == h.indices[s] {
                                h.flags![s] = 0
                            }
                        }
                    }
                }
            }}}

            // 2. Local join against the heap roots frozen now.
            for i in 0..<n { roots[i] = hd[i * slots] }
            var updates = [[(Int32, Int32, Float)]](repeating: [], count: chunkCount * bucketCount)
            newCandidates.withUnsafeBufferPointer { nc in
            oldCandidates.withUnsafeBufferPointer { oc in
            roots.withUnsafeBufferPointer { rt in
            updates.withUnsafeMutableBufferPointer { up in
                let shared = UncheckedSendable((nc.baseAddress!, oc.baseAddress!, rt.baseAddress!, up.baseAddress!))
                // Chunk c writes only its own row of update lists.
                parallelFor(chunkCount) { chunk in
                    let lower = chunk * n / chunkCount, upper = (chunk + 1) * n / chunkCount
                    let newList = shared.value.0, oldList = shared.value.1, root = shared.value.2
                    // Each candidate p against the new candidates after it, then the old ones:
                    // their distances in one call, then the pairs that beat a root, in order.
                    withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * maxCandidates) { others in
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * maxCandidates) { distances in
                        for i in lower..<upper {
                            let base = i * maxCandidates
                            for a in 0..<maxCandidates {
                                let p = Int(newList[base + a]); if p < 0 { continue }
                                var count = 0
                                for b in (a + 1)..<maxCandidates {
                                    let q = newList[base + b]; if q < 0 || Int(q) == p { continue }
                                    others[count] = q; count += 1
                                }
                                for b in 0..<maxCandidates {
                                    let q = oldList[base + b]; if q < 0 || Int(q) == p { continue }
                                    others[count] = q; count += 1
                                }
                                points.distances(p, UnsafePointer(others.baseAddress!), count: count, into: distances.baseAddress!)
                                for t in 0..<count {
                                    let q = Int(others[t]), distance = distances[t]
                                    if distance < root[p] || distance < root[q] {
                                        shared.value.3[chunk * bucketCount + bucketOf(p)].append((Int32(p), Int32(q), distance))
                                        if bucketOf(q) != bucketOf(p) {
                                            shared.value.3[chunk * bucketCount + bucketOf(q)].append((Int32(p), Int32(q), distance))
                                        }
                                    }
                                }
                            }
                        }
                    }}
                }
            }}}}

            // 3. Apply, bucket by bucket, in chunk order.
            var changes = [Int](repeating: 0, count: bucketCount)
            updates.withUnsafeBufferPointer { up in
            changes.withUnsafeMutableBufferPointer { ch in
                let shared = UncheckedSendable((up.baseAddress!, ch.baseAddress!))
                // A bucket touches only the heaps of its own points.
                parallelFor(bucketCount) { bucket in
                    var changed = 0
                    for chunk in 0..<chunkCount {
                        for (p, q, distance) in shared.value.0[chunk * bucketCount + bucket] {
                            if bucketOf(Int(p)) == bucket,
                               heap(Int(p)).push(distance, q, flag: 1, checkDuplicates: true) { changed += 1 }
                            if bucketOf(Int(q)) == bucket,
                               heap(Int(q)).push(distance, p, flag: 1, checkDuplicates: true) { changed += 1 }
                        }
                    }
                    shared.value.1[bucket] = changed
                }
            }}
            if Double(changes.reduce(0, +)) <= parameters.delta * Double(n * k) { break }
        }
        parallelFor(n, minimumChunk: 256) { i in heap(i).sortAscending() }
    }}}

    var indices = [Int32](repeating: -1, count: n * k)
    var distances = [Float](repeating: .infinity, count: n * k)
    for i in 0..<n {
        indices[i * k] = Int32(i)
        distances[i * k] = 0
        for s in 0..<slots {
            indices[i * k + 1 + s] = heapIndices[i * slots + s]
            distances[i * k + 1 + s] = heapDistances[i * slots + s]
        }
    }
    return NeighborGraph(pointCount: n, neighborCount: k, indices: indices, distances: distances)
}

/// A uniform number in [0, 1) that depends only on its four keys (SplitMix64 finaliser).
@inline(__always)
func hashUniform(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) -> Float {
    var x = a &* 0x9E37_79B9_7F4A_7C15 ^ b
    x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9 ^ c
    x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB ^ d
    x = (x ^ (x >> 31)) &* 0xBF58_476D_1CE4_E5B9
    x ^= x >> 29
    return Float(x >> 40) * (1.0 / 16_777_216.0)
}

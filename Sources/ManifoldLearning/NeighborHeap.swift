/// Bounded max-heaps of (distance, index) pairs kept in flat buffers, one heap per point:
/// the root holds the farthest of the k best so far, so a candidate is tested against it in
/// O(1) and inserted in O(log k). Pairs are ordered by distance, then index, so results do not
/// depend on the order candidates arrive in.
struct NeighborHeap {
    let distances: UnsafeMutablePointer<Float>  // k
    let indices: UnsafeMutablePointer<Int32>    // k; -1 marks an empty slot (distance +inf)
    let flags: UnsafeMutablePointer<UInt8>?     // k; NN-descent's "new" marks, optional
    let capacity: Int

    @inline(__always)
    static func precedes(_ d1: Float, _ i1: Int32, _ d2: Float, _ i2: Int32) -> Bool {
        d1 < d2 || (d1 == d2 && i1 < i2)
    }

    /// Fills the heap with empty slots.
    func clear() {
        for s in 0..<capacity {
            distances[s] = .infinity
            indices[s] = -1
            flags?[s] = 0
        }
    }

    /// Whether `index` is in the heap (linear scan; k is small).
    @inline(__always)
    func contains(_ index: Int32) -> Bool {
        for s in 0..<capacity where indices[s] == index { return true }
        return false
    }

    /// Inserts (distance, index) if it beats the root and is not present; returns whether it did.
    @discardableResult @inline(__always)
    func push(_ distance: Float, _ index: Int32, flag: UInt8 = 1, checkDuplicates: Bool) -> Bool {
        if !Self.precedes(distance, index, distances[0], indices[0]) { return false }
        if checkDuplicates && contains(index) { return false }
        // Replace the root and sift down.
        var position = 0
        while true {
            let left = 2 * position + 1, right = left + 1
            var largest = position
            var largestDistance = distance, largestIndex = index
            if left < capacity && Self.precedes(largestDistance, largestIndex, distances[left], indices[left]) {
                largest = left; largestDistance = distances[left]; largestIndex = indices[left]
            }
            if right < capacity && Self.precedes(largestDistance, largestIndex, distances[right], indices[right]) {
                largest = right
            }
            if largest == position { break }
            distances[position] = distances[largest]
            indices[position] = indices[largest]
            flags?[position] = flags![largest]
            position = largest
        }
        distances[position] = distance
        indices[position] = index
        flags?[position] = flag
        return true
    }

    /// Sorts the slots in place, nearest first (heap sort; the heap property is lost).
    func sortAscending() {
        var order = (0..<capacity).map { ($0) }
        order.sort { Self.precedes(distances[$0], indices[$0], distances[$1], indices[$1]) }
        let d = order.map { distances[$0] }, i = order.map { indices[$0] }
        for s in 0..<capacity { distances[s] = d[s]; indices[s] = i[s] }
    }
}

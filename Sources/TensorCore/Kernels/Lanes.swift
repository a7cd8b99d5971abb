// Eight-float lanes for the kernels' inner loops: unaligned loads and stores, so a loop over
// any float range vectorises without the compiler having to prove alignment.

/// Eight consecutive floats at `pointer` (no alignment needed).
@inline(__always)
func loadLanes(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

/// Stores eight floats at `pointer` (no alignment needed).
@inline(__always)
func storeLanes(_ lanes: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: lanes, as: SIMD8<Float>.self)
}

extension GradientDestination {
    /// Writes eight values from `index` on by the destination's rule.
    @inline(__always)
    func write(_ index: Int, lanes: SIMD8<Float>) {
        storeLanes(accumulates ? loadLanes(pointer + index) + lanes : lanes, pointer + index)
    }
}

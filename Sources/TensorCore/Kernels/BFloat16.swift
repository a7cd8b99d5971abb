// bfloat16: the upper half of an fp32 (1 sign, 8 exponent, 7 fraction bits). A product of two
// bfloat16 numbers has at most 16 significant bits and is exact in fp32, so a convolution
// whose operands are rounded to bfloat16 and whose sums run in fp32 is what AVX512_BF16's
// VDPBF16PS computes, up to the order of the sums. This file holds the rounding and the choice
// of kernel; the convolution applies them (Tensor+Convolution.swift, Kernels/DirectConvolution.swift).
import Basics
import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The number format of a convolution's operands: its input, weights and, in the backward
/// pass, its output gradient. Sums, outputs and gradients are fp32 either way.
public enum ArithmeticPrecision: String, Codable, Sendable, CaseIterable {
    /// Operands as they are.
    case fp32
    /// Operands rounded to bfloat16 before every product (an exact emulation of bf16 hardware
    /// arithmetic on any CPU; it costs one rounded copy of each operand).
    case bf16
}

/// `x` rounded to the nearest bfloat16, ties to even, returned as the fp32 of the same value:
/// what x86's VCVTNEPS2BF16 produces. Zeros and subnormals become a zero of their sign (the
/// instruction treats denormal inputs as zero), infinities stay, a NaN stays a NaN (made
/// quiet), and a value past the largest bfloat16 rounds to infinity.
@inlinable
public func bfloat16Rounded(_ x: Float) -> Float {
    let bits = x.bitPattern
    let exponent = bits & 0x7F80_0000
    if exponent == 0 { return Float(bitPattern: bits & 0x8000_0000) }
    if exponent == 0x7F80_0000 {
        return Float(bitPattern: (bits & 0xFFFF_0000) | (x.isNaN ? 0x0040_0000 : 0))
    }
    let leastKeptBit = (bits >> 16) & 1
    return Float(bitPattern: (bits &+ 0x7FFF &+ leastKeptBit) & 0xFFFF_0000)
}

/// Writes `count` values of `source`, rounded to bfloat16, into `destination` (on every core
/// for large counts).
func roundToBFloat16(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
    let pointers = UncheckedSendable((source, destination))
    parallelChunks(count, minimumChunk: 1 << 16) { range in
        let (source, destination) = pointers.value
        for index in range { destination[index] = bfloat16Rounded(source[index]) }
    }
}

extension Tensor {
    /// A tensor of `shape` holding the values at `source` rounded to bfloat16, outside the graph.
    static func bfloat16Rounded(_ source: UnsafePointer<Float>, shape: [Int]) -> Tensor {
        let copy = Tensor.uninitialized(shape)
        roundToBFloat16(source, into: copy.storage.pointer, count: copy.count)
        return copy
    }

    /// A copy with every element rounded to bfloat16, outside the graph.
    func bfloat16RoundedCopy() -> Tensor { .bfloat16Rounded(storage.pointer, shape: shape) }
}

/// What the CPU offers for bfloat16 arithmetic.
public enum BFloat16Hardware {
    /// Whether the CPU multiplies bfloat16 pairs into fp32 sums in hardware (x86-64's
    /// AVX512_BF16, with the AVX-512 the kernels' blocks need), which the direct convolution
    /// kernels then use (`BFloat16Kernel.fastest`).
    public static let hasProducts: Bool = nrcc_bfloat16_kernel() == DirectProducts.hardwarePairs.rawValue
}

/// How a `.bf16` convolution computes its products. Every way gives the products of the
/// rounded operands exactly; they differ in the order of the sums and in speed.
public enum BFloat16Kernel: Sendable, CaseIterable {
    /// fp32 kernels on copies of the operands rounded beforehand (any CPU; a pass over each
    /// operand more than fp32 takes).
    case roundedOperands
    /// The direct kernels on bfloat16 pairs of channels, each lane summing two products per
    /// step as AVX512_BF16's VDPBF16PS does, here by an exact emulation of the instruction
    /// (any CPU; several times slower than fp32: it checks the hardware kernels' layout and
    /// bits where the instructions are missing).
    case emulatedPairs
    /// The same kernels with VDPBF16PS itself where the CPU has it (AVX-512 and AVX512_BF16),
    /// the emulation elsewhere.
    case hardwarePairs

    /// The way `.bf16` runs: the hardware's pairs where the CPU has them, rounded operands
    /// otherwise. The environment variable `NRCC_BF16_KERNEL` (`rounded`, `emulated`) picks
    /// another, so that the code the hardware runs can be trained with on any CPU.
    public static let fastest: BFloat16Kernel = {
        switch getenv("NRCC_BF16_KERNEL").map({ String(cString: $0) }) {
        case "rounded": return .roundedOperands
        case "emulated": return .emulatedPairs
        default: return BFloat16Hardware.hasProducts ? .hardwarePairs : .roundedOperands
        }
    }()

    /// How `.bf16` runs on this CPU, for the user to read.
    public static var fastestDescription: String {
        switch fastest {
        case .hardwarePairs: "AVX512_BF16 (VDPBF16PS) in the direct convolutions, rounded operands in the others"
        case .emulatedPairs: "VDPBF16PS emulated in the direct convolutions (NRCC_BF16_KERNEL=emulated)"
        case .roundedOperands: "emulated: operands rounded to bfloat16, fp32 products and sums"
        }
    }

    /// The direct kernels' products for this way, nil for rounded operands.
    var directProducts: DirectProducts? {
        switch self {
        case .roundedOperands: nil
        case .emulatedPairs: .emulatedPairs
        case .hardwarePairs: .hardwarePairs
        }
    }
}

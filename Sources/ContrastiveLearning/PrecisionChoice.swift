import TensorCore

/// `--precision`: the number format of the convolutions' operands in training and embedding.
public enum PrecisionChoice: String, Codable, Sendable, CaseIterable {
    case fp32, bf16
    /// bf16 where it is known to be faster than fp32 and fp32 elsewhere; today always fp32
    /// (see `resolved`).
    case auto

    /// The precision this choice trains with on this CPU, and why, for the user to read.
    ///
    /// `auto` gives fp32 on every CPU. Without AVX512_BF16, bf16 is an exact emulation
    /// (operands rounded to bfloat16, products and sums in fp32), which costs a rounded copy of
    /// every operand and runs no faster. With it, the direct convolutions multiply bfloat16
    /// pairs in hardware, but no step has yet been timed against fp32 on such a CPU, nor its
    /// training checked there (docs/bf16.md).
    public var resolved: (precision: ArithmeticPrecision, reason: String) {
        switch self {
        case .fp32: return (.fp32, "asked for")
        case .bf16:
            return (.bf16, "asked for; \(BFloat16Kernel.fastestDescription)"
                + (BFloat16Kernel.fastest == .hardwarePairs ? "" : ": as accurate as bf16 hardware, slower than fp32"))
        case .auto:
            let hardware = BFloat16Hardware.hasProducts
                ? "this CPU has AVX512_BF16, and nrcc's bf16 kernels use it, but they are not yet measured faster than fp32"
                : "this CPU has no AVX512_BF16, and emulated bf16 is slower than fp32"
            return (.fp32, "auto: \(hardware)")
        }
    }
}

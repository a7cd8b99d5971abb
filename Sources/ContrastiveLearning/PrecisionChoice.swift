import TensorCore

/// `--precision`: the number format of the convolutions' operands in training and embedding.
public enum PrecisionChoice: String, Codable, Sendable, CaseIterable {
    case fp32, bf16
    /// bf16 where it would be faster than fp32 and fp32 elsewhere; today always fp32 (see
    /// `resolved`).
    case auto

    /// The precision this choice trains with on this CPU, and why, for the user to read.
    ///
    /// `auto` gives fp32 on every CPU: bf16 is an exact emulation (operands rounded to
    /// bfloat16, products and sums in fp32), which costs a rounded copy of every operand and
    /// runs no faster, with or without AVX512_BF16, since no kernel uses that hardware yet.
    public var resolved: (precision: ArithmeticPrecision, reason: String) {
        switch self {
        case .fp32: return (.fp32, "asked for")
        case .bf16:
            return (.bf16, "asked for; emulated (operands rounded to bfloat16, fp32 sums): "
                + "as accurate as bf16 hardware, slower than fp32")
        case .auto:
            let hardware = BFloat16Hardware.hasProducts
                ? "this CPU has AVX512_BF16, but no nrcc kernel uses it yet"
                : "this CPU has no AVX512_BF16"
            return (.fp32, "auto: \(hardware), and emulated bf16 is slower than fp32")
        }
    }
}

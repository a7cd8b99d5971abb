// Which OpenBLAS kernel runs, and the one correction nrcc makes to that choice.
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
import Foundation
#endif

/// The BLAS kernel in use, and a guard against a known slow fallback.
///
/// Debian 12's OpenBLAS (0.3.21) does not recognise recent Xeon models and falls back to its
/// Prescott (SSE3) kernel, which multiplies matrices about 4x slower than its Haswell
/// (AVX2/FMA) kernel on the same CPU, and 2x slower again than its SkylakeX (AVX-512) one
/// where the CPU has AVX-512: a BYOL step takes 30% less CPU time with SkylakeX than with
/// Haswell. OpenBLAS reads `OPENBLAS_CORETYPE` once, when the library loads, so the only fix
/// is to start the process again with it set.
public enum BLASKernel {
    /// The kernel OpenBLAS chose ("Haswell", "SkylakeX", "Prescott", ...); "Accelerate" on macOS.
    public static var name: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        return openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        #endif
    }

    /// Restarts the current executable with `OPENBLAS_CORETYPE` naming the best kernel the CPU
    /// runs (SkylakeX with AVX-512, Haswell with AVX2 and FMA) when OpenBLAS fell back to
    /// Prescott and the variable is not already set (a value set by the environment is always
    /// kept). Returns only when no restart is needed or the restart failed; executables call it
    /// first thing.
    public static func relaunchIfSlowFallback() {
        #if !canImport(Accelerate)
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, name == "Prescott", let kernel = bestKernel() else { return }
        setenv("OPENBLAS_CORETYPE", kernel, 1)
        let arguments = CommandLine.arguments
        var pointers = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &pointers)
        // execv returns only on failure: carry on with the slow kernel.
        unsetenv("OPENBLAS_CORETYPE")
        #endif
    }

    /// The fastest OpenBLAS kernel this CPU's flags allow, nil when only the SSE ones do.
    static func bestKernel() -> String? {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return nil }
        let set = Set(flags.split(separator: " "))
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy({ set.contains(Substring($0)) }) { return "SkylakeX" }
        if set.contains("avx2") && set.contains("fma") { return "Haswell" }
        return nil
    }
}

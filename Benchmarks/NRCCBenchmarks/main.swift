// `nrcc-bench [suite ...]`: throughput figures as JSON lines, one object per figure.
// Suites: engine, data, manifold, clustering, contrastive (all by default), and vit (only
// when named).
//
// Like `nrcc`, the benchmark restarts itself with OPENBLAS_CORETYPE=SkylakeX (AVX-512) or
// Haswell (AVX2) when Debian's OpenBLAS fell back to its Prescott kernel and the variable is
// unset (a value set by the environment is kept); `blas_kernel` in the first line says which
// kernel ran.
import Foundation
import Basics
import TensorCore

BLASKernel.relaunchIfSlowFallback()
Report.emit("environment", ["blas_kernel": BLASKernel.name, "cores": processorCount])

let suites: [(name: String, run: () throws -> Void)] = [
    ("engine", runEngineBenchmarks),
    ("data", runDataBenchmarks),
    ("manifold", runManifoldBenchmarks),
    ("clustering", runClusteringBenchmarks),
    ("contrastive", runContrastiveBenchmarks),
    ("vit", runVisionTransformerBenchmarks),
]
let explicitOnly: Set = ["vit"]

let requested = Set(CommandLine.arguments.dropFirst())
for suite in suites where requested.contains(suite.name) || (requested.isEmpty && !explicitOnly.contains(suite.name)) {
    try suite.run()
}

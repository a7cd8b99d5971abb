// `nrcc-bench [suite ...]`: throughput figures as JSON lines, one object per figure.
// Suites: engine, data, manifold, clustering, contrastive (all by default).
import Foundation

let suites: [(name: String, run: () throws -> Void)] = [
    ("engine", runEngineBenchmarks),
    ("data", runDataBenchmarks),
    ("manifold", runManifoldBenchmarks),
    ("clustering", runClusteringBenchmarks),
    ("contrastive", runContrastiveBenchmarks),
]

let requested = Set(CommandLine.arguments.dropFirst())
for suite in suites where requested.isEmpty || requested.contains(suite.name) {
    try suite.run()
}

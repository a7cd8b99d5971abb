// swift-tools-version:6.0
import PackageDescription

/// The module graph flows one way:
///
///     CBLAS ─ TensorCore ─ NeuralNetworks ─┐
///                 ├──────── Datasets ───────┼─ ContrastiveLearning ─┐
///                 ├──────── ManifoldLearning ───────────────────────┼─ Pipeline ─ nrcc
///                 └──────── Clustering ─────────────────────────────┤
///     ClusteringMetrics (depends on nothing) ───────────────────────┤
///     Reporting (HTML/SVG, depends on nothing) ─────────────────────┘
let package = Package(
    name: "nrcc",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "nrcc", targets: ["NRCCCommand"]),
        .executable(name: "nrcc-bench", targets: ["NRCCBenchmarks"]),
        .library(name: "NRCC", targets: [
            "TensorCore", "NeuralNetworks", "Datasets", "ContrastiveLearning",
            "ManifoldLearning", "Clustering", "ClusteringMetrics", "Reporting", "Pipeline",
        ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from the system. On macOS, TensorCore uses Accelerate instead of CBLAS.
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(
            name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg-dev"]), .brew(["jpeg-turbo"])]),

        // Kernels written in C for the CPU's vector instructions.
        .target(name: "CKernels"),
        .target(name: "TensorCore", dependencies: [
            "CKernels",
            .target(name: "CBLAS", condition: .when(platforms: [.linux])),
        ]),
        .target(name: "NeuralNetworks", dependencies: ["TensorCore"]),
        .target(name: "Datasets", dependencies: ["TensorCore", "CZlib", "CPNG", "CJPEG"]),
        .target(name: "ContrastiveLearning", dependencies: [
            "TensorCore", "NeuralNetworks", "Datasets", "ClusteringMetrics",
        ]),
        .target(name: "ManifoldLearning", dependencies: ["TensorCore"]),
        .target(name: "Clustering", dependencies: ["TensorCore"]),
        .target(name: "ClusteringMetrics"),
        .target(name: "Reporting"),
        .target(name: "Pipeline", dependencies: [
            "TensorCore", "NeuralNetworks", "Datasets", "ContrastiveLearning",
            "ManifoldLearning", "Clustering", "ClusteringMetrics", "Reporting",
        ]),
        .executableTarget(name: "NRCCCommand", dependencies: [
            "Pipeline", "Datasets", "ContrastiveLearning", "Reporting", "TensorCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "NRCCBenchmarks", dependencies: [
            "TensorCore", "NeuralNetworks", "Datasets", "ContrastiveLearning",
            "ManifoldLearning", "Clustering", "ClusteringMetrics",
        ], path: "Benchmarks/NRCCBenchmarks"),

        .testTarget(name: "NRCCCommandTests", dependencies: ["NRCCCommand", "ContrastiveLearning", "Datasets"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "NeuralNetworksTests", dependencies: ["NeuralNetworks", "TensorCore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TensorCore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ContrastiveLearningTests", dependencies: [
            "ContrastiveLearning", "NeuralNetworks", "TensorCore", "Datasets",
        ], resources: [.copy("Fixtures")]),
        .testTarget(name: "ManifoldLearningTests", dependencies: ["ManifoldLearning", "TensorCore", "Datasets"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ClusteringTests", dependencies: ["Clustering", "TensorCore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ClusteringMetricsTests", dependencies: ["ClusteringMetrics"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline"],
                    resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)

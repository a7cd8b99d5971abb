// swift-tools-version:6.1
import PackageDescription

/// The module graph flows one way:
///
///     CBLAS, CKernels ─ Basics (seeded generator, parallel loops and shards, checks, BLAS, atomic writes)
///       ├─ TensorCore ─ NeuralNetworks ─┐
///       ├─────────────── Datasets ───────┼─ ContrastiveLearning ─┐
///       ├─────────────── ManifoldLearning ───────────────────────┼─ Pipeline ─ nrcc
///       ├─────────────── Clustering ─────────────────────────────┤
///       ├─────────────── ClusteringMetrics ──────────────────────┤
///       └─────────────── Reporting (HTML/SVG) ───────────────────┘
///     CMPI ─ MessagePassing (the ranks of an MPI job; MPI only with the trait) ─ nrcc
///
/// The trait `MPI` builds `nrcc` to run as the ranks of an Open MPI job (`mpirun -np N nrcc
/// train`); without it (the default) nothing needs Open MPI. Build it apart, so that the two
/// builds do not rebuild each other: `swift build -c release --traits MPI --scratch-path .build-mpi`.
let package = Package(
    name: "nrcc",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "nrcc", targets: ["NRCCCommand"]),
        .executable(name: "nrcc-bench", targets: ["NRCCBenchmarks"]),
        .library(name: "NRCC", targets: [
            "Basics", "TensorCore", "NeuralNetworks", "Datasets", "ContrastiveLearning",
            "ManifoldLearning", "Clustering", "ClusteringMetrics", "Reporting", "Pipeline",
        ]),
    ],
    traits: [
        .trait(name: "MPI", description: "Data-parallel training over Open MPI (libopenmpi-dev): mpirun -np N nrcc train."),
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
        // Open MPI, for the MPI trait only.
        .systemLibrary(
            name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"]), .brew(["open-mpi"])]),

        // Kernels written in C for the CPU's vector instructions.
        .target(name: "CKernels"),
        .target(name: "Basics", dependencies: [
            "CKernels",
            .target(name: "CBLAS", condition: .when(platforms: [.linux])),
        ]),
        .target(name: "TensorCore", dependencies: ["Basics", "CKernels"]),
        .target(name: "NeuralNetworks", dependencies: ["Basics", "TensorCore"]),
        .target(name: "Datasets", dependencies: ["Basics", "CZlib", "CPNG", "CJPEG"]),
        .target(name: "ContrastiveLearning", dependencies: [
            "Basics", "TensorCore", "NeuralNetworks", "Datasets", "ClusteringMetrics",
        ]),
        .target(name: "ManifoldLearning", dependencies: ["Basics"]),
        .target(name: "Clustering", dependencies: ["Basics"]),
        .target(name: "ClusteringMetrics", dependencies: ["Basics"]),
        .target(name: "Reporting", dependencies: ["Basics"]),
        .target(name: "MessagePassing", dependencies: [
            "Basics", .target(name: "CMPI", condition: .when(traits: ["MPI"])),
        ]),
        .target(name: "Pipeline", dependencies: [
            "Basics", "TensorCore", "NeuralNetworks", "Datasets", "ContrastiveLearning",
            "ManifoldLearning", "Clustering", "ClusteringMetrics", "Reporting",
        ]),
        .executableTarget(name: "NRCCCommand", dependencies: [
            "Basics", "Pipeline", "Datasets", "ContrastiveLearning", "Reporting", "MessagePassing",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "NRCCBenchmarks", dependencies: [
            "Basics", "TensorCore", "NeuralNetworks", "Datasets", "ContrastiveLearning",
            "ManifoldLearning", "Clustering", "ClusteringMetrics",
        ], path: "Benchmarks/NRCCBenchmarks"),

        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "NRCCCommandTests", dependencies: ["NRCCCommand", "ContrastiveLearning", "Datasets", "TestSupport"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["Basics", "TensorCore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "NeuralNetworksTests", dependencies: ["Basics", "NeuralNetworks", "TensorCore", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Basics", "Datasets", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ContrastiveLearningTests", dependencies: [
            "Basics", "ContrastiveLearning", "NeuralNetworks", "TensorCore", "Datasets", "TestSupport",
        ], resources: [.copy("Fixtures")]),
        .testTarget(name: "ManifoldLearningTests", dependencies: ["Basics", "ManifoldLearning", "Datasets"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ClusteringTests", dependencies: ["Basics", "Clustering"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ClusteringMetricsTests", dependencies: ["Basics", "ClusteringMetrics"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting"]),
        .testTarget(name: "PipelineTests", dependencies: ["Basics", "Clustering", "Pipeline", "Reporting", "TestSupport"],
                    resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)

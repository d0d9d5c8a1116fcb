// swift-tools-version:6.0
import PackageDescription

// Targets, from the bottom up:
//   CGSL, CZlib          system libraries (GSL + its CBLAS header; zlib)
//   CKernels             a few hot loops in C (AVX2 and baseline clones, bit-identical results)
//   DiscreteGradients    the science: random streams, matrices, layers, estimators, oracle (no file I/O)
//   Verification         hypothesis tests and verdicts on top of GSL
//   Datasets             IDX / CSV readers (plain or gzip) for MNIST-like data
//   Pipeline             the claim protocol, result files, report rendering (the only I/O besides Datasets)
//   Reproductions        one file per claim of ../shared/CLAIMS.md
//   reproduce            the command-line tool
let package = Package(
    name: "DiscreteGradients",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "DiscreteGradients", targets: ["DiscreteGradients"]),
        .library(name: "Verification", targets: ["Verification"]),
        .executable(name: "reproduce", targets: ["reproduce"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CGSL", path: "Sources/CGSL"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Hot loops in C, compiled for AVX2 and the baseline and picked at load time (no compiler flags).
        .target(name: "CKernels"),
        .target(
            name: "DiscreteGradients",
            dependencies: ["CGSL", "CKernels"],
            // OpenBLAS is linked by name so that cblas_* (ours and GSL's) bind to it,
            // not to the ~10x slower reference libgslcblas (see NOTES-swift-gsl.md).
            linkerSettings: [.linkedLibrary("openblas")]
        ),
        .target(name: "Verification", dependencies: ["CGSL", "DiscreteGradients"]),
        .target(name: "Datasets", dependencies: ["CZlib", "DiscreteGradients"]),
        .target(name: "Pipeline", dependencies: ["DiscreteGradients", "Verification"]),
        .target(
            name: "Reproductions",
            dependencies: ["DiscreteGradients", "Verification", "Pipeline", "Datasets"],
            path: "Reproductions"
        ),
        .executableTarget(
            name: "reproduce",
            dependencies: [
                "Reproductions", "Pipeline", "Datasets", "DiscreteGradients", "Verification",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "DiscreteGradientsTests", dependencies: ["DiscreteGradients", "Verification"]),
        .testTarget(name: "VerificationTests", dependencies: ["Verification", "DiscreteGradients"]),
        .testTarget(name: "ReproductionsTests", dependencies: ["Reproductions", "Pipeline", "Datasets", "DiscreteGradients", "Verification"]),
    ]
)

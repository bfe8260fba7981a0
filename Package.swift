// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-gru",
    // Apple's 64-bit systems from the releases with the Synchronization module (Mutex); Linux
    // on x86-64 and aarch64 needs no entry. watchOS is left out: its arm64_32 has 32-bit
    // pointers, which the C kernels' sizes (long) would not cover.
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .visionOS(.v2)],
    products: [
        .library(name: "SwiftGRU", targets: ["SwiftGRU"]),
        .library(name: "KerasFiles", targets: ["KerasFiles"]),
        .library(name: "GRUDistributed", targets: ["GRUDistributed"]),
        .executable(name: "gru", targets: ["gru"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        // `swift package generate-documentation` for the DocC catalog; nothing links it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The hot loops in C: matrix products, bfloat16 products, activations and the fused
        // GRU gates with AVX-512 and AVX2 variants on x86, NEON (and BFMMLA) on aarch64, chosen
        // at run time, and a portable fallback.
        .target(name: "CGRUKernels"),
        // The CUDA runtime and cuDNN functions the GPU backend calls, bound with dlopen at
        // run time: building needs no CUDA.
        .target(name: "CGRUCUDA"),
        // Tensors, random numbers and the elementwise and matrix kernels.
        .target(
            name: "GRUTensor",
            dependencies: ["CGRUKernels", .product(name: "RealModule", package: "swift-numerics")]
        ),
        // The GRU recurrence itself: one step and a whole sequence, on raw buffers.
        .target(name: "GRUMath", dependencies: ["GRUTensor", "CGRUKernels"]),
        // The GRU on NVIDIA GPUs through cuDNN, when the libraries and a GPU are there.
        .target(name: "GRUCUDA", dependencies: ["GRUMath", "GRUTensor", "CGRUCUDA"]),
        // MPI, bound with dlopen at run time: building and single-process use need no MPI.
        .target(name: "CGRUMPI", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        // HDF5 files in pure Swift: the subset h5py reads and writes.
        .target(name: "HDF5"),
        // Keras-style layers and models.
        .target(name: "SwiftGRU", dependencies: ["GRUTensor", "GRUMath", "GRUCUDA"]),
        // Keras model files (.keras, .weights.h5, legacy .h5) and NumPy arrays (.npy, .npz).
        .target(name: "KerasFiles", dependencies: ["SwiftGRU", "HDF5"]),
        // Data-parallel training over MPI: a GradientReducer for Trainer.
        .target(name: "GRUDistributed", dependencies: ["SwiftGRU", "CGRUMPI"]),
        // The `gru` command-line tool.
        .executableTarget(
            name: "gru",
            dependencies: [
                "SwiftGRU",
                "KerasFiles",
                "GRUCUDA",
                "GRUDistributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "GRUTensorTests", dependencies: ["GRUTensor"]),
        .testTarget(name: "GRUMathTests", dependencies: ["GRUMath"]),
        .testTarget(name: "GRUCUDATests", dependencies: ["GRUCUDA"]),
        .testTarget(name: "gruTests", dependencies: ["gru", "KerasFiles"]),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KerasFilesTests", dependencies: ["KerasFiles"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "SwiftGRUTests",
            dependencies: ["SwiftGRU", "GRUMath"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

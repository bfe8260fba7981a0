// swift-tools-version:6.0
import PackageDescription

// Coverage-guided fuzzing of the file readers (libFuzzer + AddressSanitizer); the coverage
// flags instrument the library's modules too, not only the fuzz targets. Scripts/checks/fuzz.sh
// builds it and runs every target for a while on its corpus (Corpus/<target without Fuzz>).
// Every input must end in a value or a thrown error: a trap, a crash or a leak is a finding.
let package = Package(
    name: "swift-gru-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "swift-gru", path: "..")],
    targets: [
        // .keras archives, .h5 model and weights files: zip, inflate, HDF5, config.json, weights.
        .executableTarget(
            name: "FuzzModelFiles",
            dependencies: [.product(name: "KerasFiles", package: "swift-gru"), .product(name: "SwiftGRU", package: "swift-gru")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        // .npy and .npz arrays.
        .executableTarget(
            name: "FuzzNumPy", dependencies: [.product(name: "KerasFiles", package: "swift-gru")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        // Any HDF5 file: superblocks, object headers, B-trees, heaps, every datatype and filter.
        .executableTarget(
            name: "FuzzHDF5", dependencies: [.product(name: "KerasFiles", package: "swift-gru")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        // Zip archives: directories, local headers, stored and deflated entries.
        .executableTarget(
            name: "FuzzZip", dependencies: [.product(name: "KerasFiles", package: "swift-gru")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        // A model's JSON configuration (model_from_json), built and run on a small input.
        .executableTarget(
            name: "FuzzModelJSON",
            dependencies: [.product(name: "KerasFiles", package: "swift-gru"), .product(name: "SwiftGRU", package: "swift-gru")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        // Weights files loaded into a fixed model that then predicts.
        .executableTarget(
            name: "FuzzWeights",
            dependencies: [.product(name: "KerasFiles", package: "swift-gru"), .product(name: "SwiftGRU", package: "swift-gru")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ],
    swiftLanguageModes: [.v6]
)

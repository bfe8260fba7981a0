// swift-tools-version:6.0
import PackageDescription

// Coverage-guided fuzzing of the file readers (libFuzzer + AddressSanitizer); the coverage
// flags instrument the library's modules too, not only the fuzz targets:
//   cd Fuzz && swift build -c debug --sanitize=fuzzer --sanitize=address \
//       -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
//   $(swift build -c debug --show-bin-path)/FuzzModelFiles -max_total_time=300 Corpus/ModelFiles
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
    ],
    swiftLanguageModes: [.v6]
)

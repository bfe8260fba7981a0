import SwiftGRU

extension LayerDeclaration {
    /// `ZeroPadding2D` and `ZeroPadding3D`.
    static func zeroPadding(rank: Int) -> LayerDeclaration {
        LayerDeclaration(
            classNames: ["ZeroPadding\(rank)D"],
            decode: { c, name, decoder in
                let pairs = try decoder.spatialPairs(c["padding"], rank: rank, fallback: 1, "padding", layer: name)
                let format = try decoder.dataFormat(c["data_format"], layer: name)
                return rank == 2
                    ? try ZeroPadding2D<Float>(padding: pairs, dataFormat: format, name: name)
                    : try ZeroPadding3D<Float>(padding: pairs, dataFormat: format, name: name)
            },
            matches: { ($0 as? SpatialZeroPadding<Float>)?.spatialRank == rank },
            encode: { layer in
                guard let pad = layer as? SpatialZeroPadding<Float>, pad.spatialRank == rank else { return nil }
                return ["padding": KerasConfigEncoder.pairs(pad.padding), "data_format": .string(pad.dataFormat.rawValue)]
            })
    }

    /// `Cropping2D` and `Cropping3D`.
    static func cropping(rank: Int) -> LayerDeclaration {
        LayerDeclaration(
            classNames: ["Cropping\(rank)D"],
            decode: { c, name, decoder in
                let pairs = try decoder.spatialPairs(c["cropping"], rank: rank, fallback: 0, "cropping", layer: name)
                let format = try decoder.dataFormat(c["data_format"], layer: name)
                return rank == 2
                    ? try Cropping2D<Float>(cropping: pairs, dataFormat: format, name: name)
                    : try Cropping3D<Float>(cropping: pairs, dataFormat: format, name: name)
            },
            matches: { ($0 as? SpatialCropping<Float>)?.spatialRank == rank },
            encode: { layer in
                guard let crop = layer as? SpatialCropping<Float>, crop.spatialRank == rank else { return nil }
                return ["cropping": KerasConfigEncoder.pairs(crop.cropping), "data_format": .string(crop.dataFormat.rawValue)]
            })
    }

    /// `UpSampling2D` (nearest interpolation; bilinear and the others are refused by name) and
    /// `UpSampling3D`.
    static func upSampling(rank: Int) -> LayerDeclaration {
        LayerDeclaration(
            classNames: ["UpSampling\(rank)D"],
            decode: { c, name, decoder in
                let size = try decoder.integers(c["size"], count: rank, fallback: Array(repeating: 2, count: rank), "size", layer: name)
                let format = try decoder.dataFormat(c["data_format"], layer: name)
                if rank == 2 {
                    let interpolation = c["interpolation"]?.string ?? "nearest"
                    guard interpolation == "nearest" else {
                        throw decoder.fail("layer '\(name)': UpSampling2D with '\(interpolation)' interpolation is not supported; only 'nearest' is")
                    }
                    return try UpSampling2D<Float>(size: size, dataFormat: format, name: name)
                }
                return try UpSampling3D<Float>(size: size, dataFormat: format, name: name)
            },
            matches: { ($0 as? SpatialUpSampling<Float>)?.spatialRank == rank },
            encode: { layer in
                guard let up = layer as? SpatialUpSampling<Float>, up.spatialRank == rank else { return nil }
                var config: [String: JSONValue] = ["size": KerasConfigEncoder.integers(up.size), "data_format": .string(up.dataFormat.rawValue)]
                if rank == 2 { config["interpolation"] = "nearest" }
                return config
            })
    }
}

extension KerasConfigDecoder {
    /// `(before, after)` per spatial axis from Keras' forms: one integer for every side, one
    /// integer per axis, or a pair per axis.
    func spatialPairs(_ value: JSONValue?, rank: Int, fallback: Int, _ argument: String, layer: String) throws -> [(Int, Int)] {
        guard let value, !value.isNull else { return Array(repeating: (fallback, fallback), count: rank) }
        if let single = value.int { return Array(repeating: (single, single), count: rank) }
        guard let axes = value.array, axes.count == rank else {
            throw fail("layer '\(layer)': \(argument) must be an integer or \(rank) integers or pairs, got \(value)")
        }
        return try axes.map { axis in
            if let both = axis.int { return (both, both) }
            guard let pair = axis.array, pair.count == 2, let before = pair[0].int, let after = pair[1].int else {
                throw fail("layer '\(layer)': \(argument) must be an integer or \(rank) integers or pairs, got \(value)")
            }
            return (before, after)
        }
    }
}

extension KerasConfigEncoder {
    static func pairs(_ pairs: [(before: Int, after: Int)]) -> JSONValue {
        .array(pairs.map { [.integer($0.before), .integer($0.after)] })
    }
}

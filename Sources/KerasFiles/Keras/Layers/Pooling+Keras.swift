import SwiftGRU

extension KerasLayerCodec {
    /// `MaxPooling1D/2D` and `AveragePooling1D/2D` (and Keras' `MaxPool`/`AvgPool` aliases).
    static func pooling(_ mode: PoolingMode, rank: Int) -> KerasLayerCodec {
        let base = (mode == .max ? "MaxPooling" : "AveragePooling") + "\(rank)D"
        let alias = (mode == .max ? "MaxPool" : "AvgPool") + "\(rank)D"
        return KerasLayerCodec(
            classNames: [base, alias],
            decode: { c, name, decoder in
                let fallback = Array(repeating: 2, count: rank)
                let size = try decoder.integers(c["pool_size"], count: rank, fallback: fallback, "pool_size", layer: name)
                let strides = try c["strides"].flatMap { $0.isNull ? nil : try decoder.integers($0, count: rank, fallback: size, "strides", layer: name) }
                let padding = try decoder.padding(c["padding"], layer: name), format = try decoder.dataFormat(c["data_format"], layer: name)
                switch (mode, rank) {
                case (.max, 1): return try MaxPooling1D<Float>(poolSize: size[0], strides: strides?[0], padding: padding, dataFormat: format, name: name)
                case (.average, 1): return try AveragePooling1D<Float>(poolSize: size[0], strides: strides?[0], padding: padding, dataFormat: format, name: name)
                case (.max, _): return try MaxPooling2D<Float>(poolSize: size, strides: strides, padding: padding, dataFormat: format, name: name)
                case (.average, _): return try AveragePooling2D<Float>(poolSize: size, strides: strides, padding: padding, dataFormat: format, name: name)
                }
            },
            matches: { ($0 as? Pooling<Float>).map { $0.mode == mode && $0.poolSize.count == rank } ?? false },
            encode: { layer in
                guard let pool = layer as? Pooling<Float>, pool.mode == mode, pool.poolSize.count == rank else { return nil }
                return [
                    "pool_size": KerasConfigEncoder.integers(pool.poolSize), "strides": KerasConfigEncoder.integers(pool.strides),
                    "padding": .string(pool.padding.rawValue), "data_format": .string(pool.dataFormat.rawValue),
                ]
            })
    }

    /// `GlobalMaxPooling1D/2D` and `GlobalAveragePooling1D/2D` (and the `GlobalMaxPool`/`GlobalAvgPool` aliases).
    static func globalPooling(_ mode: PoolingMode, rank: Int) -> KerasLayerCodec {
        let base = (mode == .max ? "GlobalMaxPooling" : "GlobalAveragePooling") + "\(rank)D"
        let alias = (mode == .max ? "GlobalMaxPool" : "GlobalAvgPool") + "\(rank)D"
        return KerasLayerCodec(
            classNames: [base, alias],
            decode: { c, name, decoder in
                let format = try decoder.dataFormat(c["data_format"], layer: name), keep = c["keepdims"]?.bool ?? false
                switch (mode, rank) {
                case (.max, 1): return GlobalMaxPooling1D<Float>(dataFormat: format, keepdims: keep, name: name)
                case (.average, 1): return GlobalAveragePooling1D<Float>(dataFormat: format, keepdims: keep, name: name)
                case (.max, _): return GlobalMaxPooling2D<Float>(dataFormat: format, keepdims: keep, name: name)
                case (.average, _): return GlobalAveragePooling2D<Float>(dataFormat: format, keepdims: keep, name: name)
                }
            },
            matches: { layer in
                guard let pool = layer as? GlobalPooling<Float>, pool.mode == mode else { return false }
                return rank == 1 ? (layer is GlobalMaxPooling1D<Float> || layer is GlobalAveragePooling1D<Float>)
                    : (layer is GlobalMaxPooling2D<Float> || layer is GlobalAveragePooling2D<Float>)
            },
            encode: { layer in
                guard let pool = layer as? GlobalPooling<Float>, pool.mode == mode else { return nil }
                return ["data_format": .string(pool.dataFormat.rawValue), "keepdims": .bool(pool.keepdims)]
            })
    }
}

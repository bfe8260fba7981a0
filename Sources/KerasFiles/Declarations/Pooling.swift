import SwiftGRU

extension LayerDeclaration {
    /// `MaxPooling1D/2D/3D` and `AveragePooling1D/2D/3D` (and Keras' `MaxPool`/`AvgPool` aliases).
    static func pooling(_ mode: PoolingMode, rank: Int) -> LayerDeclaration {
        let base = (mode == .max ? "MaxPooling" : "AveragePooling") + "\(rank)D"
        let alias = (mode == .max ? "MaxPool" : "AvgPool") + "\(rank)D"
        return LayerDeclaration(
            classNames: [base, alias],
            decode: { c, name, decoder in
                let fallback = Array(repeating: 2, count: rank)
                let size = try decoder.integers(c["pool_size"], count: rank, fallback: fallback, "pool_size", layer: name)
                let strides = try c["strides"].flatMap { $0.isNull ? nil : try decoder.integers($0, count: rank, fallback: size, "strides", layer: name) }
                let padding = try decoder.padding(c["padding"], layer: name), format = try decoder.dataFormat(c["data_format"], layer: name)
                switch (mode, rank) {
                case (.max, 1): return try MaxPooling1D<Float>(poolSize: size[0], strides: strides?[0], padding: padding, dataFormat: format, name: name)
                case (.average, 1): return try AveragePooling1D<Float>(poolSize: size[0], strides: strides?[0], padding: padding, dataFormat: format, name: name)
                case (.max, 2): return try MaxPooling2D<Float>(poolSize: size, strides: strides, padding: padding, dataFormat: format, name: name)
                case (.average, 2): return try AveragePooling2D<Float>(poolSize: size, strides: strides, padding: padding, dataFormat: format, name: name)
                case (.max, _): return try MaxPooling3D<Float>(poolSize: size, strides: strides, padding: padding, dataFormat: format, name: name)
                case (.average, _): return try AveragePooling3D<Float>(poolSize: size, strides: strides, padding: padding, dataFormat: format, name: name)
                }
            },
            matches: { ($0 as? Pooling<Float>).map { $0.mode == mode && $0.poolSize.count == rank } ?? false },
            encode: { layer in
                guard let pool = layer as? Pooling<Float>, pool.mode == mode, pool.poolSize.count == rank else { return nil }
                return [
                    "pool_size": KerasConfigEncoder.integers(pool.poolSize), "strides": KerasConfigEncoder.integers(pool.strides),
                    "padding": .string(pool.padding.rawValue), "data_format": .string(pool.dataFormat.rawValue),
                ]
            },
            onnx: .pooling)
    }

    /// `GlobalMaxPooling1D/2D/3D` and `GlobalAveragePooling1D/2D/3D` (and the `GlobalMaxPool`/`GlobalAvgPool` aliases).
    static func globalPooling(_ mode: PoolingMode, rank: Int) -> LayerDeclaration {
        let base = (mode == .max ? "GlobalMaxPooling" : "GlobalAveragePooling") + "\(rank)D"
        let alias = (mode == .max ? "GlobalMaxPool" : "GlobalAvgPool") + "\(rank)D"
        return LayerDeclaration(
            classNames: [base, alias],
            decode: { c, name, decoder in
                let format = try decoder.dataFormat(c["data_format"], layer: name), keep = c["keepdims"]?.bool ?? false
                switch (mode, rank) {
                case (.max, 1): return GlobalMaxPooling1D<Float>(dataFormat: format, keepdims: keep, name: name)
                case (.average, 1): return GlobalAveragePooling1D<Float>(dataFormat: format, keepdims: keep, name: name)
                case (.max, 2): return GlobalMaxPooling2D<Float>(dataFormat: format, keepdims: keep, name: name)
                case (.average, 2): return GlobalAveragePooling2D<Float>(dataFormat: format, keepdims: keep, name: name)
                case (.max, _): return GlobalMaxPooling3D<Float>(dataFormat: format, keepdims: keep, name: name)
                case (.average, _): return GlobalAveragePooling3D<Float>(dataFormat: format, keepdims: keep, name: name)
                }
            },
            matches: { ($0 as? GlobalPooling<Float>).map { $0.mode == mode && $0.spatialRank == rank } ?? false },
            encode: { layer in
                guard let pool = layer as? GlobalPooling<Float>, pool.mode == mode, pool.spatialRank == rank else { return nil }
                return ["data_format": .string(pool.dataFormat.rawValue), "keepdims": .bool(pool.keepdims)]
            },
            onnx: .globalPooling)
    }
}

extension ONNXEmitter {
    static let globalPooling = ONNXEmitter.of(GlobalPooling<Float>.self) { e, pooling, call in
        guard pooling.dataFormat == .channelsLast else { throw e.fail(pooling, "only channels_last pooling is exported") }
        let axes = Array(1..<(call.inputRank - 1)), keep = pooling.keepdims ? 1 : 0
        if pooling.mode == .average, let lengths = call.x.lengths, call.inputRank == 3 {
            // Keras averages the kept steps only.
            let kept = e.graph.op("Unsqueeze", [e.graph.op("Cast", [e.stepMask(lengths, like: call.x.name)], [("to", .int(1))]), e.graph.int64s([-1])])
            let total = e.graph.op("ReduceSum", [e.graph.op("Mul", [call.x.name, kept]), e.graph.int64s([1])], [("keepdims", .int(keep))])
            let count = e.graph.op("ReduceSum", [kept, e.graph.int64s([1])], [("keepdims", .int(keep))])
            return [ONNXValue(name: e.graph.op("Div", [total, count]))]
        }
        guard !call.x.paddingDiffers else { throw e.fail(pooling, "its input's padded steps differ between Keras and ONNX") }
        let op = pooling.mode == .max ? "ReduceMax" : "ReduceMean"
        return [ONNXValue(name: e.graph.op(op, [call.x.name], [("axes", .ints(axes)), ("keepdims", .int(keep))]))]
    }
}

extension ONNXEmitter {
    static let pooling = ONNXEmitter.of(Pooling<Float>.self) { e, pooling, call in
        guard pooling.dataFormat == .channelsLast, call.x.lengths == nil else {
            throw e.fail(pooling, "only channels_last pooling over unmasked steps is exported")
        }
        let rank = pooling.poolSize.count + 2
        var attributes: [(String, ONNXGraph.Attribute)] = [("kernel_shape", .ints(pooling.poolSize)), ("strides", .ints(pooling.strides))]
        // Keras' same padding leaves the padded positions out of an average, as count_include_pad = 0 does.
        attributes.append(pooling.padding == .same ? ("auto_pad", .string("SAME_UPPER")) : ("pads", .ints(Array(repeating: 0, count: 2 * (rank - 2)))))
        if pooling.mode == .average { attributes.append(("count_include_pad", .int(0))) }
        let moved = e.graph.op("Transpose", [call.x.name], [("perm", .ints(e.channelsFirst(rank)))])
        let pooled = e.graph.op(pooling.mode == .max ? "MaxPool" : "AveragePool", [moved], attributes)
        return [ONNXValue(name: e.graph.op("Transpose", [pooled], [("perm", .ints(e.channelsLast(rank)))]))]
    }
}

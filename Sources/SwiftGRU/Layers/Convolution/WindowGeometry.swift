/// Where channels sit in a convolution's or pooling's input (Keras' `data_format`).
public enum DataFormat: String, Sendable, CaseIterable {
    /// `(batch, spatial..., channels)`, Keras' default.
    case channelsLast = "channels_last"
    /// `(batch, channels, spatial...)`.
    case channelsFirst = "channels_first"
}

/// How a sliding window meets the edges of its input (Keras' `padding`).
public enum Padding: String, Sendable, CaseIterable {
    /// Only windows that fit inside the input.
    case valid
    /// Zero padding (excluded from pooling) so that the output has `ceil(extent / stride)` steps.
    case same
    /// Padding before the first step only, so that no output sees a later input (Conv1D only).
    case causal
}

/// The sliding-window arithmetic convolutions and poolings share, along one or two spatial
/// axes; a one-dimensional window is a two-dimensional one of height 1.
struct WindowGeometry: Sendable, Equatable {
    var size: [Int]
    var strides: [Int]
    var dilation: [Int]
    var padding: Padding

    /// Checks the arguments as Keras does (all positive, one value per spatial axis).
    init(size: [Int], strides: [Int], dilation: [Int], padding: Padding, layer: String) throws {
        guard !size.isEmpty, size.count == strides.count, size.count == dilation.count else {
            throw LayerError(.invalidArgument, "\(layer): window size \(size), strides \(strides) and dilation \(dilation) must each give one value per spatial axis")
        }
        for (argument, values) in [("kernel/pool size", size), ("strides", strides), ("dilation_rate", dilation)] {
            guard values.allSatisfy({ $0 > 0 && $0 <= 1 << 24 }) else {
                throw LayerError(.invalidArgument, "\(layer): \(argument) must be positive, got \(values)")
            }
        }
        if strides.contains(where: { $0 > 1 }), dilation.contains(where: { $0 > 1 }) {
            throw LayerError(.invalidArgument, "\(layer): strides \(strides) and dilation_rate \(dilation) cannot both exceed 1 (as in Keras)")
        }
        self.size = size
        self.strides = strides
        self.dilation = dilation
        self.padding = padding
    }

    var spatialRank: Int { size.count }

    /// The extent the window covers along `axis`, dilation included.
    func span(_ axis: Int) -> Int { (size[axis] - 1) * dilation[axis] + 1 }

    /// The output extent and the padding before the first input step along `axis`; `nil`
    /// extents stay unknown. An output of no steps is an error naming the layer.
    func output(_ extent: Int?, axis: Int, layer: String) throws -> (extent: Int?, padBefore: Int) {
        guard let extent else { return (nil, padding == .causal ? span(axis) - 1 : 0) }
        let stride = strides[axis], span = span(axis)
        let out: Int, before: Int
        switch padding {
        case .valid:
            out = extent >= span ? (extent - span) / stride + 1 : 0
            before = 0
        case .same:
            out = (extent + stride - 1) / stride
            before = max((out - 1) * stride + span - extent, 0) / 2
        case .causal:
            out = extent > 0 ? (extent - 1) / stride + 1 : 0
            before = span - 1
        }
        guard out > 0 else {
            throw LayerError(.invalidInputShape, "\(layer): a window of \(span) steps with '\(padding.rawValue)' padding leaves no output from an input of \(extent) steps")
        }
        return (out, before)
    }

    /// The output's spatial extents for known input extents, with the padding before each.
    func plan(_ extents: [Int], layer: String) throws -> (extents: [Int], padBefore: [Int]) {
        var out = [Int](), before = [Int]()
        for axis in extents.indices {
            let o = try output(extents[axis], axis: axis, layer: layer)
            out.append(o.extent ?? 0)
            before.append(o.padBefore)
        }
        return (out, before)
    }
}

/// Reads a spatial input as channels-last `(batch, height, width, channels)` (height 1 for one
/// spatial axis) and writes results back in the layer's format.
struct SpatialLayout: Sendable {
    let dataFormat: DataFormat
    let spatialRank: Int

    /// The input's `(batch, spatial..., channels)` view in channels-last order.
    func channelsLast<Scalar: TensorScalar>(_ input: Tensor<Scalar>, layer: String) throws -> Tensor<Scalar> {
        guard input.rank == spatialRank + 2 else {
            throw LayerError(.invalidInputShape, "\(layer): expects input of rank \(spatialRank + 2) (batch, \(spatialRank == 1 ? "steps" : "rows, columns"), channels in \(dataFormat.rawValue) order), got shape \(input.shape)")
        }
        guard dataFormat == .channelsFirst else { return input }
        return try input.transposed([0] + Array(2..<input.rank) + [1])
    }

    /// `(batch, spatial..., channels)` back in the layer's order.
    func restored<Scalar: TensorScalar>(_ output: Tensor<Scalar>) throws -> Tensor<Scalar> {
        guard dataFormat == .channelsFirst else { return output }
        return try output.transposed([0, output.rank - 1] + Array(1..<(output.rank - 1)))
    }

    /// The spatial extents and channels of an input shape in the layer's order.
    func split(_ shape: [Int?], layer: String) throws -> (spatial: [Int?], channels: Int?) {
        guard shape.count == spatialRank + 2 else {
            throw LayerError(.invalidInputShape, "\(layer): expects input of rank \(spatialRank + 2), got shape \(describe(shape))")
        }
        return dataFormat == .channelsLast
            ? (Array(shape[1...spatialRank]), shape[spatialRank + 1])
            : (Array(shape[2...]), shape[1])
    }

    /// An output shape in the layer's order.
    func join(batch: Int?, spatial: [Int?], channels: Int?) -> [Int?] {
        dataFormat == .channelsLast ? [batch] + spatial + [channels] : [batch, channels] + spatial
    }

    /// `(height, width)` of a channels-last tensor's spatial extents (height 1 in one dimension).
    func plane(_ spatial: [Int]) -> (height: Int, width: Int) {
        spatialRank == 1 ? (1, spatial[0]) : (spatial[0], spatial[1])
    }
}

extension WindowGeometry {
    /// The window as two-dimensional (a leading axis of 1 for one-dimensional windows).
    var planar: (size: (Int, Int), strides: (Int, Int), dilation: (Int, Int)) {
        spatialRank == 1
            ? ((1, size[0]), (1, strides[0]), (1, dilation[0]))
            : ((size[0], size[1]), (strides[0], strides[1]), (dilation[0], dilation[1]))
    }

    /// Calls `body(outputRow, windowIndex, inputOffset)` for every output position and window
    /// element that falls inside the input; `inputOffset` indexes the position's first channel
    /// in a channels-last `(batch, height, width, channels)` buffer.
    func forEachTap(
        batch: Int, input: (height: Int, width: Int), output: (height: Int, width: Int), padBefore: [Int], channels: Int,
        _ body: (_ outputRow: Int, _ tap: Int, _ inputOffset: Int) -> Void
    ) {
        let p = planar
        let (padTop, padLeft) = spatialRank == 1 ? (0, padBefore[0]) : (padBefore[0], padBefore[1])
        var row = 0
        for b in 0..<batch {
            for oy in 0..<output.height {
                for ox in 0..<output.width {
                    for ky in 0..<p.size.0 {
                        let iy = oy * p.strides.0 - padTop + ky * p.dilation.0
                        guard iy >= 0, iy < input.height else { continue }
                        for kx in 0..<p.size.1 {
                            let ix = ox * p.strides.1 - padLeft + kx * p.dilation.1
                            guard ix >= 0, ix < input.width else { continue }
                            body(row, ky * p.size.1 + kx, ((b * input.height + iy) * input.width + ix) * channels)
                        }
                    }
                    row += 1
                }
            }
        }
    }
}

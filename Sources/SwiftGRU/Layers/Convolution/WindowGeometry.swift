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

/// The sliding-window arithmetic convolutions and poolings share, along one to three spatial
/// axes.
struct WindowGeometry: Sendable, Equatable {
    var size: [Int]
    var strides: [Int]
    var dilation: [Int]
    var padding: Padding

    /// Checks the arguments as Keras does (all positive, one value per spatial axis).
    init(size: [Int], strides: [Int], dilation: [Int], padding: Padding, layer: String) throws {
        guard (1...3).contains(size.count), size.count == strides.count, size.count == dilation.count else {
            throw LayerError(.invalidArgument, "\(layer): window size \(size), strides \(strides) and dilation \(dilation) must each give one value per spatial axis (one to three)")
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

/// Reads a spatial input as channels-last `(batch, spatial..., channels)` and writes results
/// back in the layer's format.
struct SpatialLayout: Sendable {
    let dataFormat: DataFormat
    let spatialRank: Int

    /// The input's `(batch, spatial..., channels)` view in channels-last order.
    func channelsLast<Scalar: TensorScalar>(_ input: Tensor<Scalar>, layer: String) throws -> Tensor<Scalar> {
        guard input.rank == spatialRank + 2 else {
            throw LayerError(.invalidInputShape, "\(layer): expects input of rank \(spatialRank + 2) (batch, \(["steps", "rows, columns", "depth, rows, columns"][min(max(spatialRank, 1), 3) - 1]), channels in \(dataFormat.rawValue) order), got shape \(input.shape)")
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
}

extension WindowGeometry {
    /// Calls `body(outputRow, windowIndex, inputOffset)` for every output position and window
    /// element that falls inside the input; `inputOffset` indexes the position's first channel
    /// in a channels-last `(batch, spatial..., channels)` buffer of `input` spatial extents.
    /// Rows and window elements count in row-major order over one to three spatial axes.
    func forEachTap(
        batch: Int, input: [Int], output: [Int], padBefore: [Int], channels: Int,
        _ body: (_ outputRow: Int, _ tap: Int, _ inputOffset: Int) -> Void
    ) {
        // Fewer than three spatial axes are the leading ones of extent 1.
        let lead = 3 - spatialRank
        func cube(_ values: [Int], _ fill: Int) -> [Int] { Array(repeating: fill, count: max(lead, 0)) + values }
        let inner = cube(input, 1), outer = cube(output, 1), k = cube(size, 1), s = cube(strides, 1), d = cube(dilation, 1)
        let pad = cube(padBefore, 0)
        var row = 0
        for b in 0..<batch {
            for oz in 0..<outer[0] {
                for oy in 0..<outer[1] {
                    for ox in 0..<outer[2] {
                        for kz in 0..<k[0] {
                            let iz = oz * s[0] - pad[0] + kz * d[0]
                            guard iz >= 0, iz < inner[0] else { continue }
                            for ky in 0..<k[1] {
                                let iy = oy * s[1] - pad[1] + ky * d[1]
                                guard iy >= 0, iy < inner[1] else { continue }
                                for kx in 0..<k[2] {
                                    let ix = ox * s[2] - pad[2] + kx * d[2]
                                    guard ix >= 0, ix < inner[2] else { continue }
                                    body(row, (kz * k[1] + ky) * k[2] + kx, (((b * inner[0] + iz) * inner[1] + iy) * inner[2] + ix) * channels)
                                }
                            }
                        }
                        row += 1
                    }
                }
            }
        }
    }
}

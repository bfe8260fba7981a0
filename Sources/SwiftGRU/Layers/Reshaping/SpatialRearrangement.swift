/// The layers that move frame positions along two or three spatial axes (Keras'
/// `ZeroPadding2D/3D`, `Cropping2D/3D`, `UpSampling2D/3D`): output position `o` along an axis
/// reads the input position its layer maps it to, or is zero where there is none. The mask is
/// dropped, as in Keras; the backward pass adds each output gradient to the position it read.
public class SpatialRearrangement<Scalar: TensorScalar>: ShapeLayer<Scalar> {
    /// Where the channels are.
    public let dataFormat: DataFormat
    /// The number of spatial axes (2 or 3).
    public let spatialRank: Int

    init(spatialRank: Int, dataFormat: DataFormat, name: String) {
        self.spatialRank = spatialRank
        self.dataFormat = dataFormat
        super.init(name: name)
    }

    var layout: SpatialLayout { SpatialLayout(dataFormat: dataFormat, spatialRank: spatialRank) }

    /// The output extent along `axis` for an input extent; subclasses override it.
    func outputExtent(_ extent: Int, axis: Int) throws -> Int { extent }

    /// The input position output position `index` reads along `axis`, or `nil` for a zero;
    /// subclasses override it.
    func source(_ index: Int, axis: Int, inputExtent: Int) -> Int? { index }

    public override func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        let (spatial, channels) = try layout.split(inputShape, layer: name)
        let out = try spatial.enumerated().map { axis, extent in try extent.map { try outputExtent($0, axis: axis) } }
        return layout.join(batch: inputShape[0], spatial: out, channels: channels)
    }

    /// The output's spatial extents and, per output position (batch aside), the input
    /// position it reads or -1.
    private func plan(_ spatial: [Int]) throws -> (extents: [Int], sources: [Int]) {
        let extents = try spatial.enumerated().map { try outputExtent($1, axis: $0) }
        guard extents.allSatisfy({ $0 > 0 }) else {
            throw LayerError(.invalidInputShape, "\(name): an input of spatial extents \(spatial) leaves \(extents)")
        }
        let maps = extents.enumerated().map { axis, extent in
            (0..<extent).map { index -> Int in
                guard let s = source(index, axis: axis, inputExtent: spatial[axis]), s >= 0, s < spatial[axis] else { return -1 }
                return s
            }
        }
        var sources = [0]
        var valid = [true]
        for (axis, map) in maps.enumerated() {
            var next = [Int](), nextValid = [Bool]()
            next.reserveCapacity(sources.count * map.count)
            for (offset, ok) in zip(sources, valid) {
                for s in map {
                    next.append(offset * spatial[axis] + max(s, 0))
                    nextValid.append(ok && s >= 0)
                }
            }
            sources = next
            valid = nextValid
        }
        _ = try WeightLimits.scalarCount(of: extents)
        return (extents, zip(sources, valid).map { $1 ? $0 : -1 })
    }

    override func rearranged(_ input: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let x = try layout.channelsLast(input, layer: name)
        let batch = x.shape[0], channels = x.shape[x.rank - 1], spatial = Array(x.shape[1..<(x.rank - 1)])
        let (extents, sources) = try plan(spatial)
        let inPositions = spatial.reduce(1, *)
        var values = [Scalar](repeating: 0, count: try WeightLimits.scalarCount(of: [batch, sources.count, channels]))
        x.scalars.withUnsafeBufferPointer { source in
            for b in 0..<batch {
                for (o, s) in sources.enumerated() where s >= 0 {
                    let from = (b * inPositions + s) * channels, to = (b * sources.count + o) * channels
                    for c in 0..<channels { values[to + c] = source[from + c] }
                }
            }
        }
        return try layout.restored(Tensor(shape: [batch] + extents + [channels], scalars: values))
    }

    override func inputGradient(_ outputGradient: Tensor<Scalar>, inputShape: [Int]) throws -> Tensor<Scalar> {
        let g = try layout.channelsLast(outputGradient, layer: name)
        let (spatial, _) = try layout.split(optionalShape(inputShape), layer: name)
        let extents = spatial.map { $0 ?? 0 }
        let batch = g.shape[0], channels = g.shape[g.rank - 1]
        let (_, sources) = try plan(extents)
        let inPositions = extents.reduce(1, *)
        var values = [Scalar](repeating: 0, count: try WeightLimits.scalarCount(of: [batch, inPositions, channels]))
        for b in 0..<batch {
            for (o, s) in sources.enumerated() where s >= 0 {
                let from = (b * sources.count + o) * channels, to = (b * inPositions + s) * channels
                for c in 0..<channels { values[to + c] += g.scalars[from + c] }
            }
        }
        return try layout.restored(Tensor(shape: [batch] + extents + [channels], scalars: values))
    }
}

/// Checks `(before, after)` pairs, one per spatial axis, of non-negative counts.
func spatialPairs(_ pairs: [(Int, Int)], rank: Int, _ argument: String, layer: String) throws -> [(before: Int, after: Int)] {
    guard pairs.count == rank else {
        throw LayerError(.invalidArgument, "\(layer): \(argument) must give \(rank) pairs, got \(pairs.count)")
    }
    return try pairs.map { try stepPair($0, argument, layer: layer) }
}

/// Adds zero rows and columns (and depth) around each frame (Keras' `ZeroPadding2D`, `ZeroPadding3D`).
public class SpatialZeroPadding<Scalar: TensorScalar>: SpatialRearrangement<Scalar> {
    /// Zeros added before and after, per spatial axis.
    public let padding: [(before: Int, after: Int)]

    init(rank: Int, padding: [(Int, Int)], dataFormat: DataFormat, name: String) throws {
        self.padding = try spatialPairs(padding, rank: rank, "padding", layer: "ZeroPadding\(rank)D")
        super.init(spatialRank: rank, dataFormat: dataFormat, name: name)
    }

    override func outputExtent(_ extent: Int, axis: Int) throws -> Int { extent + padding[axis].before + padding[axis].after }
    override func source(_ index: Int, axis: Int, inputExtent: Int) -> Int? { index - padding[axis].before }
}

/// Removes rows and columns (and depth) at the edges of each frame (Keras' `Cropping2D`, `Cropping3D`).
public class SpatialCropping<Scalar: TensorScalar>: SpatialRearrangement<Scalar> {
    /// Positions removed before and after, per spatial axis.
    public let cropping: [(before: Int, after: Int)]

    init(rank: Int, cropping: [(Int, Int)], dataFormat: DataFormat, name: String) throws {
        self.cropping = try spatialPairs(cropping, rank: rank, "cropping", layer: "Cropping\(rank)D")
        super.init(spatialRank: rank, dataFormat: dataFormat, name: name)
    }

    override func outputExtent(_ extent: Int, axis: Int) throws -> Int {
        let out = extent - cropping[axis].before - cropping[axis].after
        guard out > 0 else {
            throw LayerError(.invalidInputShape, "\(name): cropping \(cropping[axis].before) + \(cropping[axis].after) leaves nothing of an extent of \(extent)")
        }
        return out
    }

    override func source(_ index: Int, axis: Int, inputExtent: Int) -> Int? { index + cropping[axis].before }
}

/// Repeats each row and column (and depth) `size` times (Keras' `UpSampling2D` with nearest
/// interpolation, `UpSampling3D`).
public class SpatialUpSampling<Scalar: TensorScalar>: SpatialRearrangement<Scalar> {
    /// The repetitions per spatial axis.
    public let size: [Int]

    init(rank: Int, size: [Int], dataFormat: DataFormat, name: String) throws {
        guard size.count == rank, size.allSatisfy({ $0 > 0 && $0 <= 1 << 24 }) else {
            throw LayerError(.invalidArgument, "UpSampling\(rank)D: size must be \(rank) positive integers, got \(size)")
        }
        self.size = size
        super.init(spatialRank: rank, dataFormat: dataFormat, name: name)
    }

    override func outputExtent(_ extent: Int, axis: Int) throws -> Int { try WeightLimits.scalarCount(of: [extent, size[axis]]) }
    override func source(_ index: Int, axis: Int, inputExtent: Int) -> Int? { index / size[axis] }
}

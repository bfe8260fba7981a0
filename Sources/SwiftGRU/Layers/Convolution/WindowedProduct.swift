/// A grouped convolution without bias over channels-last tensors, as windows turned into rows
/// (im2col) times the kernel, and its gradients: what ``Convolution`` and the ConvLSTM cells
/// compute with.
struct WindowedProduct<Scalar: TensorScalar> {
    let geometry: WindowGeometry
    let groups: Int
    let layer: String

    /// The sizes of one call.
    struct Plan {
        let batch: Int, channels: Int, filters: Int
        let spatial: [Int], outSpatial: [Int], padBefore: [Int]
        /// Output positions (batch included) and the length of a window row of one group.
        let rows: Int, depth: Int
        let groupChannels: Int, groupFilters: Int
    }

    /// The plan for a channels-last input of `shape` and a kernel `(window..., channels / groups, filters)`.
    func plan(_ shape: [Int], kernel: [Int]) throws -> Plan {
        let rank = geometry.spatialRank
        guard shape.count == rank + 2, kernel.count == rank + 2 else {
            throw LayerError(.invalidInputShape, "\(layer): expects input of rank \(rank + 2), got shape \(shape)")
        }
        let channels = shape[rank + 1], filters = kernel[rank + 1]
        guard channels == kernel[rank] * groups, filters % groups == 0 else {
            throw LayerError(.invalidInputShape, "\(layer): built for kernel \(kernel) (\(kernel[rank] * groups) channels), got input shape \(shape)")
        }
        let spatial = Array(shape[1...rank])
        let (outSpatial, padBefore) = try geometry.plan(spatial, layer: layer)
        let rows = try WeightLimits.scalarCount(of: [shape[0]] + outSpatial)
        let depth = try WeightLimits.scalarCount(of: geometry.size + [channels / groups])
        _ = try WeightLimits.scalarCount(of: [rows, depth])
        return Plan(
            batch: shape[0], channels: channels, filters: filters, spatial: spatial, outSpatial: outSpatial,
            padBefore: padBefore, rows: rows, depth: depth, groupChannels: channels / groups, groupFilters: filters / groups)
    }

    /// `(batch, outputSpatial..., filters)` for a channels-last `x`.
    func forward(_ x: Tensor<Scalar>, kernel: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let plan = try plan(x.shape, kernel: kernel.shape)
        let shape = [plan.batch] + plan.outSpatial + [plan.filters]
        if groups == 1 {
            return try patches(x, plan, group: 0).matmul(kernel.reshaped(to: [plan.depth, plan.filters])).reshaped(to: shape)
        }
        var output = [Scalar](repeating: 0, count: plan.rows * plan.filters)
        for group in 0..<groups {
            let product = try patches(x, plan, group: group).matmul(kernelSlice(kernel, plan, group: group))
            for r in 0..<plan.rows {
                for f in 0..<plan.groupFilters { output[r * plan.filters + group * plan.groupFilters + f] = product.scalars[r * plan.groupFilters + f] }
            }
        }
        return try Tensor(shape: shape, scalars: output)
    }

    /// dL/dx (channels last; `nil` unless `needsInput`) and dL/d(kernel) from dL/d(output).
    func backward(
        _ x: Tensor<Scalar>, kernel: Tensor<Scalar>, outputGradient: Tensor<Scalar>, needsInput: Bool = true
    ) throws -> (input: Tensor<Scalar>?, kernel: Tensor<Scalar>) {
        let plan = try plan(x.shape, kernel: kernel.shape)
        guard outputGradient.scalarCount == plan.rows * plan.filters else {
            throw LayerError(.invalidInputShape, "\(layer): the output gradient has shape \(outputGradient.shape), expected \([plan.batch] + plan.outSpatial + [plan.filters])")
        }
        var dKernel = [Scalar](repeating: 0, count: kernel.scalarCount)
        var dInput = [Scalar](repeating: 0, count: needsInput ? x.scalarCount : 0)
        for group in 0..<groups {
            let g: Tensor<Scalar>
            if groups == 1 {
                g = try outputGradient.reshaped(to: [plan.rows, plan.filters])
            } else {
                var slice = [Scalar](repeating: 0, count: plan.rows * plan.groupFilters)
                for r in 0..<plan.rows {
                    for f in 0..<plan.groupFilters { slice[r * plan.groupFilters + f] = outputGradient.scalars[r * plan.filters + group * plan.groupFilters + f] }
                }
                g = try Tensor(shape: [plan.rows, plan.groupFilters], scalars: slice)
            }
            // dW = patches^T g; d(patches) = g W^T, folded back onto the input (col2im).
            let dSlice = try patches(x, plan, group: group).transposed([1, 0]).matmul(g)
            for k in 0..<plan.depth {
                for f in 0..<plan.groupFilters { dKernel[k * plan.filters + group * plan.groupFilters + f] = dSlice.scalars[k * plan.groupFilters + f] }
            }
            guard needsInput else { continue }
            let dPatches = try g.matmul(kernelSlice(kernel, plan, group: group).transposed([1, 0]))
            dPatches.scalars.withUnsafeBufferPointer { source in
                dInput.withUnsafeMutableBufferPointer { target in
                    geometry.forEachTap(batch: plan.batch, input: plan.spatial, output: plan.outSpatial, padBefore: plan.padBefore, channels: plan.channels) { row, tap, offset in
                        let from = row * plan.depth + tap * plan.groupChannels, to = offset + group * plan.groupChannels
                        for c in 0..<plan.groupChannels { target[to + c] += source[from + c] }
                    }
                }
            }
        }
        return (needsInput ? try Tensor(shape: x.shape, scalars: dInput) : nil, try Tensor(shape: kernel.shape, scalars: dKernel))
    }

    /// The group's windows of the channels-last input, one row per output position.
    private func patches(_ x: Tensor<Scalar>, _ plan: Plan, group: Int) throws -> Tensor<Scalar> {
        var patches = [Scalar](repeating: 0, count: plan.rows * plan.depth)
        x.scalars.withUnsafeBufferPointer { source in
            patches.withUnsafeMutableBufferPointer { target in
                geometry.forEachTap(batch: plan.batch, input: plan.spatial, output: plan.outSpatial, padBefore: plan.padBefore, channels: plan.channels) { row, tap, offset in
                    let from = offset + group * plan.groupChannels, to = row * plan.depth + tap * plan.groupChannels
                    for c in 0..<plan.groupChannels { target[to + c] = source[from + c] }
                }
            }
        }
        return try Tensor(shape: [plan.rows, plan.depth], scalars: patches)
    }

    /// The group's `(depth, groupFilters)` slice of the kernel.
    private func kernelSlice(_ kernel: Tensor<Scalar>, _ plan: Plan, group: Int) throws -> Tensor<Scalar> {
        if groups == 1 { return try kernel.reshaped(to: [plan.depth, plan.filters]) }
        var slice = [Scalar](repeating: 0, count: plan.depth * plan.groupFilters)
        for k in 0..<plan.depth {
            for f in 0..<plan.groupFilters { slice[k * plan.groupFilters + f] = kernel.scalars[k * plan.filters + group * plan.groupFilters + f] }
        }
        return try Tensor(shape: [plan.depth, plan.groupFilters], scalars: slice)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `bias` `(width)` added along the last axis.
    func addingBias(_ bias: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let width = bias.scalarCount
        guard shape.last == width, width > 0 else {
            throw LayerError(.invalidInputShape, "a bias of shape \(bias.shape) does not fit a tensor of shape \(shape)")
        }
        var result = self
        result.withUnsafeMutableBufferPointer { values in
            bias.scalars.withUnsafeBufferPointer { b in
                for start in stride(from: 0, to: values.count, by: width) {
                    for j in 0..<width { values[start + j] += b[j] }
                }
            }
        }
        return result
    }
}

import SwiftGRU

/// PyTorch's `nn.GRU` weights in Keras' layout and back.
///
/// PyTorch's GRU is Keras' GRU with `reset_after = TRUE`, `z` meaning the same. PyTorch keeps
/// each layer's gates as rows r, z, n of `weight_ih_l{k}` `(3H, inputs)` and `weight_hh_l{k}`
/// `(3H, H)` with biases `bias_ih_l{k}` and `bias_hh_l{k}` `(3H)`, and the backward direction
/// of a bidirectional GRU under the same names with `_reverse`; Keras keeps columns z, r, h
/// of `kernel` `(inputs, 3H)` and `recurrent_kernel` `(H, 3H)`, and a bias `(2, 3H)` (input
/// row, recurrent row).
public enum PyTorchGRU {
    /// The Keras model of the `nn.GRU` in a safetensors file: only its tensors are read, so
    /// the rest of a larger state dict may hold anything (BatchNorm's int64 counters).
    ///
    /// - Parameter prefix: The GRU's name in a larger state dict (`"encoder.gru"`, with or
    ///   without the final dot); found by itself when the file holds one GRU.
    /// - Throws: ``FileFormatError`` as ``model(from:prefix:)``, and for a damaged file.
    public static func model(safeTensors bytes: [UInt8], prefix: String? = nil) throws -> Sequential<Float> {
        let names = try SafeTensors.names(in: bytes)
        let prefix = try resolve(prefix, names: names)
        let tensors = try SafeTensors.tensors(in: bytes) { $0.hasPrefix(prefix) && parameter(String($0.dropFirst(prefix.count))) != nil }
        return try model(from: tensors, prefix: prefix)
    }

    /// The Keras model of an `nn.GRU`'s state dict (as `torch.save`d to safetensors): one GRU
    /// layer per PyTorch layer, each returning its whole sequence as `nn.GRU` does, wrapped in
    /// `Bidirectional` (concatenated halves) for a bidirectional GRU. Inputs are batch first,
    /// `(batch, steps, features)`.
    ///
    /// - Parameter prefix: The GRU's name in a larger state dict (`"encoder.gru."`, with or
    ///   without the final dot); found by itself when the dict holds one GRU.
    /// - Throws: ``FileFormatError`` naming a tensor that is missing (a bias without the other,
    ///   a layer between two others, a direction's half) or whose shape does not agree, and a
    ///   tensor under the prefix that is not an `nn.GRU`'s.
    public static func model(from tensors: [String: Tensor<Float>], prefix: String? = nil) throws -> Sequential<Float> {
        let prefix = try resolve(prefix, names: Array(tensors.keys))
        var used = Set<String>()
        func take(_ name: String) -> Tensor<Float>? {
            guard let tensor = tensors[prefix + name] else { return nil }
            used.insert(prefix + name)
            return tensor
        }
        var layers = [any Layer<Float>](), inputSize: Int?, previousWidth: Int?
        var k = 0
        while let forward = tensors[prefix + "weight_ih_l\(k)"] {
            let hidden = forward.shape[0] / 3
            guard forward.rank == 2, forward.shape[0] == 3 * hidden, hidden > 0 else {
                throw FileFormatError("\(prefix)weight_ih_l\(k) has shape \(forward.shape); an nn.GRU's is (3 * hidden, inputs)")
            }
            if k == 0 { inputSize = forward.shape[1] }
            if let previousWidth, forward.shape[1] != previousWidth {
                throw FileFormatError("\(prefix)weight_ih_l\(k) reads \(forward.shape[1]) features; layer \(k - 1) gives \(previousWidth)")
            }
            func direction(_ suffix: String) throws -> GRU<Float>? {
                guard let ih = take("weight_ih_l\(k)" + suffix) else { return nil }
                guard let hh = take("weight_hh_l\(k)" + suffix), hh.shape == [3 * hidden, hidden], ih.shape == forward.shape else {
                    throw FileFormatError("\(prefix)weight_hh_l\(k)\(suffix) is missing or not (3 * \(hidden), \(hidden))")
                }
                let biases = (take("bias_ih_l\(k)" + suffix), take("bias_hh_l\(k)" + suffix))
                guard (biases.0 == nil) == (biases.1 == nil) else {
                    throw FileFormatError("\(prefix)\(biases.0 == nil ? "bias_ih" : "bias_hh")_l\(k)\(suffix) is missing; nn.GRU has both biases or neither")
                }
                let gru = try GRU<Float>(units: hidden, useBias: biases.0 != nil, returnSequences: true, resetAfter: true, name: "gru\(suffix)_\(k)")
                var weights = [try kerasKernel(ih, hidden: hidden), try kerasKernel(hh, hidden: hidden)]
                if let inputBias = biases.0, let recurrentBias = biases.1 {
                    let rows = try [inputBias, recurrentBias].map { bias -> [Float] in
                        guard bias.shape == [3 * hidden] else { throw FileFormatError("a bias of layer \(k) has shape \(bias.shape), not (3 * \(hidden))") }
                        return kerasOrder(bias.scalars, hidden: hidden, width: 1)
                    }
                    weights.append(try Tensor(shape: [2, 3 * hidden], scalars: rows[0] + rows[1]))
                }
                try gru.build(inputShape: [nil, nil, ih.shape[1]])
                try gru.setWeights(weights)
                return gru
            }
            guard let gru = try direction("") else { break }
            if let backward = try direction("_reverse") {
                layers.append(try Bidirectional<Float>(gru, mergeMode: .concat, backwardLayer: try backwardLayer(backward), name: "bidirectional_\(k)"))
                previousWidth = 2 * hidden
            } else {
                layers.append(gru)
                previousWidth = hidden
            }
            if k > 0, (layers[k] is Bidirectional<Float>) != (layers[k - 1] is Bidirectional<Float>) {
                throw FileFormatError("layer \(k) of the nn.GRU has \(layers[k] is Bidirectional<Float> ? "two directions" : "one direction"), layer \(k - 1) not")
            }
            k += 1
        }
        guard let inputSize, !layers.isEmpty else { throw FileFormatError("no nn.GRU weights (\(prefix)weight_ih_l0) in the tensors") }
        // What is left under the prefix: a gap in the layers, a half without its other, or not an nn.GRU's.
        for name in tensors.keys.sorted() where name.hasPrefix(prefix) && !used.contains(name) {
            let rest = String(name.dropFirst(prefix.count))
            guard let (_, layer, _) = parameter(rest) else {
                if rest.contains("_l"), rest.hasPrefix("weight_") || rest.hasPrefix("bias_") {
                    throw FileFormatError("tensor '\(name)' is not an nn.GRU's (an LSTM's projection, another RNN?)")
                }
                continue
            }
            throw FileFormatError(layer > k
                ? "tensor '\(name)' is for layer \(layer) but layer \(k) is missing (\(prefix)weight_ih_l\(k))"
                : "tensor '\(name)' is left over: its layer or direction is incomplete")
        }
        return try Sequential<Float>(inputShape: [nil, inputSize], layers: layers, name: "pytorch_gru")
    }

    /// The state dict of an `nn.GRU` holding a Keras model's GRU layers (`reset_after = TRUE`,
    /// tanh and sigmoid, forwards and batch first, each returning sequences but the last, all
    /// of one size and with biases or all without, optionally `Bidirectional` with
    /// concatenated halves, all or none), for `torch.nn.GRU(..., batch_first=True)`.
    ///
    /// - Parameter prefix: Put before every name (`"gru."`; a final dot is added when missing).
    /// - Throws: ``FileFormatError`` naming a layer or setting that `nn.GRU` has no equal for.
    public static func stateDict(of model: any Model<Float>, prefix: String = "") throws -> [String: Tensor<Float>] {
        let prefix = prefix.isEmpty || prefix.hasSuffix(".") ? prefix : prefix + "."
        var tensors = [String: Tensor<Float>]()
        var first: (units: Int, bias: Bool, directions: Int)?
        for (k, layer) in model.layers.enumerated() {
            guard let halves = try LayerDeclarations.declaration(for: layer)?.nnGRU?(layer), !halves.isEmpty else {
                throw FileFormatError("layer '\(layer.name)' (\(layer.typeName)) is not a GRU; nn.GRU holds GRU layers only")
            }
            for (gru, suffix) in halves {
                let cell = gru.cell as? GRUCell<Float>
                guard let cell, cell.resetAfter, cell.activation == .tanh, cell.recurrentActivation == .sigmoid else {
                    throw FileFormatError("layer '\(layer.name)': nn.GRU computes reset_after = TRUE with tanh and sigmoid only")
                }
                guard gru.goBackwards == (suffix == "_reverse") else {
                    throw FileFormatError("layer '\(layer.name)': go_backwards = TRUE outside a Bidirectional has no nn.GRU equal")
                }
                guard !gru.timeMajor else { throw FileFormatError("layer '\(layer.name)': nn.GRU here reads batch-first inputs, not time-major ones") }
                let this = (units: cell.units, bias: cell.useBias, directions: halves.count)
                if let first, first != this {
                    throw FileFormatError("layer '\(layer.name)': nn.GRU's layers share one hidden size, bias and direction count; this one has \(this.units) units, bias \(this.bias), \(this.directions) direction(s), layer 0 \(first.units), \(first.bias), \(first.directions)")
                }
                first = this
                if k < model.layers.count - 1, !gru.returnSequences {
                    throw FileFormatError("layer '\(layer.name)' returns its last step only, but a GRU follows it; nn.GRU's layers read whole sequences")
                }
                let hidden = cell.units, weights = cell.weights
                guard weights.count >= 2 else { throw FileFormatError("layer '\(layer.name)' is not built") }
                tensors[prefix + "weight_ih_l\(k)" + suffix] = try torchKernel(weights[0], hidden: hidden)
                tensors[prefix + "weight_hh_l\(k)" + suffix] = try torchKernel(weights[1], hidden: hidden)
                if weights.count == 3 {
                    let bias = weights[2].scalars
                    tensors[prefix + "bias_ih_l\(k)" + suffix] = try Tensor(shape: [3 * hidden], scalars: torchOrder(Array(bias[0..<(3 * hidden)]), hidden: hidden, width: 1))
                    tensors[prefix + "bias_hh_l\(k)" + suffix] = try Tensor(shape: [3 * hidden], scalars: torchOrder(Array(bias[(3 * hidden)...]), hidden: hidden, width: 1))
                }
            }
        }
        return tensors
    }

    /// `weight_ih_l2_reverse` as (kind, layer, suffix); `nil` for other names.
    private static func parameter(_ name: String) -> (String, Int, String)? {
        for kind in ["weight_ih_l", "weight_hh_l", "bias_ih_l", "bias_hh_l"] where name.hasPrefix(kind) {
            var rest = name.dropFirst(kind.count)
            let suffix = rest.hasSuffix("_reverse") ? "_reverse" : ""
            rest = rest.dropLast(suffix.count)
            guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }), let layer = Int(rest) else { return nil }
            return (kind, layer, suffix)
        }
        return nil
    }

    /// The prefix given (with a final dot added when the names need one), or the one prefix
    /// before `weight_ih_l0` in the names.
    private static func resolve(_ given: String?, names: [String]) throws -> String {
        if let given {
            if given.isEmpty || names.contains(given + "weight_ih_l0") { return given }
            if names.contains(given + ".weight_ih_l0") { return given + "." }
            throw FileFormatError("no nn.GRU weights under the prefix '\(given)' (\(given)\(given.hasSuffix(".") ? "" : ".")weight_ih_l0)")
        }
        let prefixes = Set(names.filter { $0.hasSuffix("weight_ih_l0") }.map { String($0.dropLast("weight_ih_l0".count)) })
        guard prefixes.count == 1, let prefix = prefixes.first else {
            throw FileFormatError(prefixes.isEmpty ? "no nn.GRU weights (weight_ih_l0) in the tensors" : "several GRUs in the tensors (\(prefixes.sorted())); name one by its prefix")
        }
        return prefix
    }

    /// The backward half as Keras builds it: the same GRU reading the sequence backwards.
    private static func backwardLayer(_ gru: GRU<Float>) throws -> GRU<Float> {
        guard let backward = try gru.makeReversedCopy() as? GRU<Float> else { throw FileFormatError("the backward GRU could not be made") }
        try backward.setWeights(gru.weights)
        return backward
    }

    /// Rows r, z, n of `width` values each (times `hidden`) reordered to z, r, n.
    private static func kerasOrder(_ values: [Float], hidden: Int, width: Int) -> [Float] {
        let block = hidden * width
        return Array(values[block..<(2 * block)] + values[0..<block] + values[(2 * block)...])
    }

    /// The inverse of ``kerasOrder(_:hidden:width:)`` (the swap is its own inverse).
    private static func torchOrder(_ values: [Float], hidden: Int, width: Int) -> [Float] {
        kerasOrder(values, hidden: hidden, width: width)
    }

    /// `(3H, X)` rows r, z, n to Keras' `(X, 3H)` columns z, r, h.
    private static func kerasKernel(_ weight: Tensor<Float>, hidden: Int) throws -> Tensor<Float> {
        let columns = weight.shape[1]
        return try Tensor(shape: [3 * hidden, columns], scalars: kerasOrder(weight.scalars, hidden: hidden, width: columns)).transposed([1, 0])
    }

    /// Keras' `(X, 3H)` kernel to PyTorch's `(3H, X)`.
    private static func torchKernel(_ kernel: Tensor<Float>, hidden: Int) throws -> Tensor<Float> {
        let rows = try kernel.transposed([1, 0])
        return try Tensor(shape: rows.shape, scalars: torchOrder(rows.scalars, hidden: hidden, width: rows.shape[1]))
    }
}

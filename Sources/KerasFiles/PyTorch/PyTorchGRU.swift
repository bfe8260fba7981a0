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
    /// The Keras model of an `nn.GRU`'s state dict (as `torch.save`d to safetensors): one GRU
    /// layer per PyTorch layer, each returning its whole sequence as `nn.GRU` does, wrapped in
    /// `Bidirectional` (concatenated halves) for a bidirectional GRU. Inputs are batch first,
    /// `(batch, steps, features)`.
    ///
    /// - Parameter prefix: The GRU's name in a larger state dict (`"encoder.gru."`); found by
    ///   itself when the dict holds one GRU.
    /// - Throws: ``FileFormatError`` when the tensors are not an `nn.GRU`'s or their shapes do
    ///   not agree.
    public static func model(from tensors: [String: Tensor<Float>], prefix: String? = nil) throws -> Sequential<Float> {
        let prefix = try prefix ?? findPrefix(tensors)
        var layers = [any Layer<Float>](), inputSize: Int?
        var k = 0
        while let forward = tensors[prefix + "weight_ih_l\(k)"] {
            let hidden = forward.shape[0] / 3
            guard forward.rank == 2, forward.shape[0] == 3 * hidden, hidden > 0 else {
                throw FileFormatError("\(prefix)weight_ih_l\(k) has shape \(forward.shape); an nn.GRU's is (3 * hidden, inputs)")
            }
            if k == 0 { inputSize = forward.shape[1] }
            func direction(_ suffix: String) throws -> GRU<Float>? {
                guard let ih = tensors[prefix + "weight_ih_l\(k)" + suffix] else { return nil }
                guard let hh = tensors[prefix + "weight_hh_l\(k)" + suffix], hh.shape == [3 * hidden, hidden], ih.shape[0] == 3 * hidden else {
                    throw FileFormatError("\(prefix)weight_hh_l\(k)\(suffix) is missing or not (3 * \(hidden), \(hidden))")
                }
                let biases = (tensors[prefix + "bias_ih_l\(k)" + suffix], tensors[prefix + "bias_hh_l\(k)" + suffix])
                let useBias = biases.0 != nil || biases.1 != nil
                let gru = try GRU<Float>(units: hidden, useBias: useBias, returnSequences: true, resetAfter: true, name: "gru\(suffix)_\(k)")
                var weights = [try kerasKernel(ih, hidden: hidden), try kerasKernel(hh, hidden: hidden)]
                if useBias {
                    let zeros = Tensor<Float>(zeros: [3 * hidden])
                    let rows = try [biases.0 ?? zeros, biases.1 ?? zeros].map { bias -> [Float] in
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
            } else {
                layers.append(gru)
            }
            k += 1
        }
        guard let inputSize, !layers.isEmpty else { throw FileFormatError("no nn.GRU weights (\(prefix)weight_ih_l0) in the tensors") }
        return try Sequential<Float>(inputShape: [nil, inputSize], layers: layers, name: "pytorch_gru")
    }

    /// The state dict of an `nn.GRU` holding a Keras model's GRU layers (`reset_after = TRUE`,
    /// tanh and sigmoid, each returning sequences but the last, optionally `Bidirectional`
    /// with concatenated halves), for `torch.nn.GRU(..., batch_first=True)`.
    ///
    /// - Parameter prefix: Put before every name (`"gru."`).
    /// - Throws: ``FileFormatError`` naming a layer or setting that `nn.GRU` has no equal for.
    public static func stateDict(of model: any Model<Float>, prefix: String = "") throws -> [String: Tensor<Float>] {
        var tensors = [String: Tensor<Float>]()
        for (k, layer) in model.layers.enumerated() {
            var halves: [(GRU<Float>, String)]
            switch layer {
            case let gru as GRU<Float>: halves = [(gru, "")]
            case let wrapper as Bidirectional<Float>:
                guard wrapper.mergeMode == .concat, let forward = wrapper.forwardLayer as? GRU<Float>, let backward = wrapper.backwardLayer as? GRU<Float> else {
                    throw FileFormatError("layer '\(layer.name)': nn.GRU's bidirectional output is the two halves concatenated, of GRUs")
                }
                halves = [(forward, ""), (backward, "_reverse")]
            default:
                throw FileFormatError("layer '\(layer.name)' (\(layer.typeName)) is not a GRU; nn.GRU holds GRU layers only")
            }
            for (gru, suffix) in halves {
                let cell = gru.cell as? GRUCell<Float>
                guard let cell, cell.resetAfter, cell.activation == .tanh, cell.recurrentActivation == .sigmoid else {
                    throw FileFormatError("layer '\(layer.name)': nn.GRU computes reset_after = TRUE with tanh and sigmoid only")
                }
                let hidden = cell.units, weights = cell.weights
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

    /// The one prefix before `weight_ih_l0` in the names.
    private static func findPrefix(_ tensors: [String: Tensor<Float>]) throws -> String {
        let prefixes = Set(tensors.keys.filter { $0.hasSuffix("weight_ih_l0") }.map { String($0.dropLast("weight_ih_l0".count)) })
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

import HDF5
import SwiftGRU

/// Where Keras 3 keeps each layer's weights in `model.weights.h5`:
/// `layers/<snake_case class>[_N]/<path>/vars/<i>`.
enum KerasWeightLayout {
    /// The `vars` groups that hold a layer's weights, with their weights, in
    /// `get_weights()` order (the layer's codec knows where they are).
    static func varsGroups(_ layer: any Layer<Float>) -> [(path: String, weights: [Tensor<Float>])] {
        KerasLayerRegistry.codec(for: layer)?.weightGroups(layer) ?? []
    }

    static func cellGroups(_ cell: any RecurrentCell<Float>, prefix: String) -> [(path: String, weights: [Tensor<Float>])] {
        guard let stacked = cell as? StackedRNNCells<Float> else { return [(prefix + "/vars", cell.weights)] }
        let names = UniqueName.make(stacked.cells.map { className(of: $0) })
        return zip(stacked.cells, names).flatMap { cellGroups($0, prefix: "\(prefix)/cells/\($1)") }
    }

    private static func className(of cell: any RecurrentCell<Float>) -> String {
        switch cell {
        case is GRUCell<Float>: "gru_cell"
        case is LSTMCell<Float>: "lstm_cell"
        case is SimpleRNNCell<Float>: "simple_rnn_cell"
        case is StackedRNNCells<Float>: "stacked_rnn_cells"
        default: KerasConfigDecoder.snakeCase(String(String(describing: type(of: cell)).prefix { $0 != "<" }))
        }
    }

    /// The tensors of a `vars` group in numeric order.
    static func tensors(in group: HDF5Group, file: HDF5File) throws -> [Tensor<Float>] {
        try group.memberNames.compactMap { name in
            guard let dataset = group.dataset(at: name) else { return nil }
            return try tensor(dataset, file: file, name: name)
        }
    }

    static func tensor(_ dataset: HDF5Dataset, file: HDF5File, name: String) throws -> Tensor<Float> {
        guard let values = try file.read(dataset).doubles else {
            throw FileFormatError("weight '\(name)' holds strings, not numbers")
        }
        return try Tensor(shape: dataset.shape, scalars: values.map { Float($0) })
    }

    /// Every dataset below `group`, depth first in sorted order.
    static func allTensors(in group: HDF5Group, file: HDF5File) throws -> [Tensor<Float>] {
        try group.memberNames.flatMap { name -> [Tensor<Float>] in
            switch group.members[name] {
            case .dataset(let d)?: return [try tensor(d, file: file, name: name)]
            case .group(let g)?: return try allTensors(in: g, file: file)
            case nil: return []
            }
        }
    }

    /// Loads Keras 3 weights (a `model.weights.h5` tree) into the layers.
    static func load(_ file: HDF5File, into layers: [(layer: any Layer<Float>, className: String)]) throws {
        let root = file.root.group(at: "layers") ?? file.root.group(at: "_layer_checkpoint_dependencies")
        guard let root else { throw FileFormatError("the weights file has no 'layers' group") }
        let names = UniqueName.make(layers.map { KerasConfigDecoder.snakeCase($0.className) })
        for ((layer, _), name) in zip(layers, names) {
            let paths = varsGroups(layer).map(\.path)
            guard !paths.isEmpty else { continue }
            guard let group = root.group(at: name) else {
                throw FileFormatError("the weights file has no group 'layers/\(name)' for layer '\(layer.name)'")
            }
            var weights = [Tensor<Float>]()
            if paths.allSatisfy({ group.group(at: $0) != nil }) {
                for path in paths { weights += try tensors(in: group.group(at: path) ?? group, file: file) }
            } else {
                // Keras 2.13-2.15 files name the groups differently; their order is depth first.
                weights = try allTensors(in: group, file: file)
            }
            do {
                try layer.setWeights(weights)
            } catch let error as LayerError {
                throw FileFormatError("weights for layer '\(layer.name)' do not fit: \(error.message)", underlying: error)
            }
        }
    }

    /// The `model.weights.h5` tree of the layers, as Keras 3 writes it.
    static func tree(for layers: [(layer: any Layer<Float>, className: String)]) throws -> HDF5GroupBuilder {
        var root = HDF5GroupBuilder()
        try root.ensureGroup(at: "layers")
        try root.ensureGroup(at: "vars")
        let names = UniqueName.make(layers.map { KerasConfigDecoder.snakeCase($0.className) })
        for ((layer, _), name) in zip(layers, names) {
            try root.ensureGroup(at: "layers/\(name)/vars")
            for (path, weights) in varsGroups(layer) {
                try root.ensureGroup(at: "layers/\(name)/\(path)")
                for (i, tensor) in weights.enumerated() {
                    try root.setDataset(.float32(tensor.scalars, shape: tensor.shape), at: "layers/\(name)/\(path)/\(i)")
                }
            }
        }
        return root
    }
}

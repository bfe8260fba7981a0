import HDF5
import SwiftGRU

/// Where Keras 3 keeps each layer's weights in `model.weights.h5`:
/// `layers/<snake_case class>[_N]/<path>/vars/<i>`.
enum KerasWeightLayout {
    /// The `vars` groups that hold a layer's weights, with their weights, in
    /// `get_weights()` order (the layer's declaration knows where they are).
    static func varsGroups(_ layer: any Layer<Float>) -> [(path: String, weights: [Tensor<Float>])] {
        LayerDeclarations.declaration(for: layer)?.weightGroups(layer) ?? []
    }

    /// The `vars` groups of a cell under `prefix`: its own, or those of a stack's cells, each
    /// under `cells/<its class, numbered>`.
    static func cellGroups(_ cell: any RecurrentCell<Float>, prefix: String) -> [(path: String, weights: [Tensor<Float>])] {
        let declaration = try? CellDeclarations.declaration(for: cell)
        guard let inner = declaration?.innerCells(cell) else { return [(prefix + "/vars", cell.weights)] }
        let names = UniqueName.make(inner.map { cell in
            (try? CellDeclarations.declaration(for: cell).groupName)
                ?? KerasConfigDecoder.snakeCase(String(String(describing: type(of: cell)).prefix { $0 != "<" }))
        })
        return zip(inner, names).flatMap { cellGroups($0, prefix: "\(prefix)/cells/\($1)") }
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
        let top = file.root.members.keys.contains { $0.contains("\\") } ? file.root.splittingNames(on: "\\") : file.root
        let legacy = top.group(at: "layers") == nil
        guard let root = top.group(at: "layers") ?? top.group(at: "_layer_checkpoint_dependencies") else {
            throw FileFormatError("the weights file has no 'layers' group")
        }
        let classes = layers.map { KerasConfigDecoder.snakeCase($0.className) }
        let names = legacy ? legacyGroupNames(root, classes: classes) : UniqueName.make(classes)
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

    /// The groups of Keras 2.13-2.15 files, which number one class's groups with gaps
    /// (`dense`, `dense_2`): each class's groups in numeric order go to its layers in order.
    /// Where the counts differ, Keras 3's numbering stands.
    static func legacyGroupNames(_ root: HDF5Group, classes: [String]) -> [String] {
        let standard = UniqueName.make(classes)
        var byClass = [String: [String]]()
        for name in Set(classes) {
            let numbered = root.memberNames.compactMap { member -> (Int, String)? in
                if member == name { return (0, member) }
                guard member.hasPrefix(name + "_"), let n = Int(member.dropFirst(name.count + 1)) else { return nil }
                return (n, member)
            }
            byClass[name] = numbered.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var used = [String: Int]()
        return zip(classes, standard).map { name, fallback in
            let index = used[name, default: 0]
            used[name] = index + 1
            guard let groups = byClass[name], groups.count == classes.filter({ $0 == name }).count else { return fallback }
            return groups[index]
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

extension KerasWeightLayout {
    /// The optimizer state in a Keras 3 weights file (`optimizer/vars/0...`), in order.
    static func optimizerVariables(in file: HDF5File) throws -> [Tensor<Double>] {
        guard let group = file.root.group(at: "optimizer/vars") else { return [] }
        return try group.memberNames.compactMap { name -> Tensor<Double>? in
            guard let dataset = group.dataset(at: name) else { return nil }
            guard let scalars = try file.read(dataset).doubles else {
                throw FileFormatError("optimizer variable '\(name)' holds strings, not numbers")
            }
            return try Tensor(shape: dataset.shape, scalars: scalars)
        }
    }

    /// Adds the optimizer state as Keras writes it: the iteration count as int64, the rest
    /// float32.
    static func addOptimizerVariables(_ variables: [Tensor<Double>], to tree: inout HDF5GroupBuilder) throws {
        try tree.ensureGroup(at: "optimizer/vars")
        for (i, variable) in variables.enumerated() {
            let value: HDF5Value = i == 0
                ? .int64(variable.scalars.map { Int64(exactly: $0.rounded()) ?? 0 }, shape: variable.shape)
                : .float32(variable.scalars.map(Float.init), shape: variable.shape)
            try tree.setDataset(value, at: "optimizer/vars/\(i)")
        }
    }
}

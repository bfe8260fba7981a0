extension Model {
    /// A table of the layers, their output shapes and parameter counts, laid out
    /// like Keras' `model.summary()`; a model that is not ``Sequential`` also lists its inputs
    /// and what each layer is connected to (`layer[call][output]`), as Keras does for
    /// functional models.
    public func summary() -> String {
        let connected = !(self is Sequential<Scalar>)
        var rows = [[[String]]]()
        let graph = try? self.graph
        if connected, let graph {
            for input in graph.inputs { rows.append([["\(input.name) (InputLayer)"], [describe(input.shape)], ["0"], ["-"]]) }
        }
        let calls = graph.map(callNumbers) ?? []
        func reference(_ source: Functional<Scalar>.Source) -> String {
            guard let graph else { return "?" }
            switch source {
            case .input(let i): return "\(graph.inputs[i].name)[0][0]"
            case .output(let node, let index): return "\(graph.nodes[node].layer.name)[\(calls[node])][\(index)]"
            }
        }
        for (index, (layer, shapes)) in layerOutputShapes().enumerated() {
            let shapeText = shapes.count == 1 ? describe(shapes[0]) : "[" + shapes.map(describe).joined(separator: ", ") + "]"
            var row = [["\(layer.name) (\(layer.typeName))"], [shapeText], [formatted(layer.parameterCount)]]
            if connected, let node = graph?.nodes[index] {
                let sources = (node.inputs + node.initialState).map(reference)
                row.append(sources.enumerated().map { $0 == sources.count - 1 ? $1 : $1 + "," })
            }
            rows.append(row)
        }
        var headers = ["Layer (type)", "Output Shape", "Param #"]
        if connected { headers.append("Connected to") }
        let widths = headers.indices.map { column in
            max(headers[column].count, rows.map { $0[column].map(\.count).max() ?? 0 }.max() ?? 0) + 2
        }
        func line(_ left: String, _ middle: String, _ right: String, _ fill: String) -> String {
            left + widths.map { String(repeating: fill, count: $0) }.joined(separator: middle) + right
        }
        // A row of cells, each on as many lines as its longest cell; "Param #" right-aligned.
        func lines(_ cells: [[String]], _ bar: String) -> [String] {
            let height = cells.map(\.count).max() ?? 1
            return (0..<height).map { i in
                bar + cells.enumerated().map { column, cell in
                    let text = i < cell.count ? cell[i] : ""
                    return column == 2
                        ? String(repeating: " ", count: widths[column] - 1 - text.count) + text + " "
                        : " " + text.padding(widths[column] - 1)
                }.joined(separator: bar) + bar
            }
        }
        var out = ["Model: \"\(name)\"", line("┏", "┳", "┓", "━")] + lines(headers.map { [$0] }, "┃") + [line("┡", "╇", "┩", "━")]
        for (index, row) in rows.enumerated() {
            out += lines(row, "│")
            out.append(index == rows.count - 1 ? line("└", "┴", "┘", "─") : line("├", "┼", "┤", "─"))
        }
        if rows.isEmpty { out.append(line("└", "┴", "┘", "─")) }
        // As Keras counts them: a frozen layer's weights and moving statistics are not trainable.
        let total = parameterCount
        let trainable = layers.reduce(0) { sum, layer in
            let weights = layer.weights
            return sum + layer.updatedWeightIndices.reduce(0) { $0 + weights[$1].scalarCount }
        }
        let size = MemoryLayout<Scalar>.size
        out.append(" Total params: \(formatted(total)) (\(byteSize(total * size)))")
        out.append(" Trainable params: \(formatted(trainable)) (\(byteSize(trainable * size)))")
        out.append(" Non-trainable params: \(formatted(total - trainable)) (\(byteSize((total - trainable) * size)))")
        return out.joined(separator: "\n")
    }

    /// Each node's call number on its layer (a layer called twice has calls 0 and 1).
    private func callNumbers(_ graph: ModelGraph<Scalar>) -> [Int] {
        var counts = [ObjectIdentifier: Int]()
        return graph.nodes.map { node in
            let id = ObjectIdentifier(node.layer)
            defer { counts[id, default: 0] += 1 }
            return counts[id, default: 0]
        }
    }

    /// Each layer with the shapes of its outputs for the model's inputs.
    func layerOutputShapes() -> [(any Layer<Scalar>, [[Int?]])] {
        guard let graph = try? graph else { return layers.map { ($0, [[nil]]) } }
        return zip(graph.nodes, graph.nodeShapes).map { ($0.layer, $1) }
    }
}

private func formatted(_ value: Int) -> String {
    let digits = Array(String(value))
    var out = ""
    for (i, d) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(d)
    }
    return out
}

private func byteSize(_ bytes: Int) -> String {
    let units = ["B", "KB", "MB", "GB"]
    var value = Double(bytes), unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    let hundredths = Int((value * 100).rounded())
    let fraction = String(hundredths % 100)
    return "\(hundredths / 100).\(fraction.count == 1 ? "0" + fraction : fraction) \(units[unit])"
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

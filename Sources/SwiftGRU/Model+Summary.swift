extension Model {
    /// A table of the layers, their output shapes and parameter counts, laid out
    /// like Keras' `model.summary()`.
    public func summary() -> String {
        var rows = [(String, String, String)]()
        for (layer, shapes) in layerOutputShapes() {
            let shapeText = shapes.count == 1 ? describe(shapes[0]) : "[" + shapes.map(describe).joined(separator: ", ") + "]"
            rows.append(("\(layer.name) (\(layer.typeName))", shapeText, formatted(layer.parameterCount)))
        }
        let headers = ("Layer (type)", "Output Shape", "Param #")
        let nameWidth: Int = rows.map { $0.0.count }.max() ?? 0
        let shapeWidth: Int = rows.map { $0.1.count }.max() ?? 0
        let countWidth: Int = rows.map { $0.2.count }.max() ?? 0
        let widths: [Int] = [
            max(headers.0.count, nameWidth) + 2, max(headers.1.count, shapeWidth) + 2, max(headers.2.count, countWidth) + 2,
        ]
        func line(_ left: String, _ middle: String, _ right: String, _ fill: String) -> String {
            left + widths.map { String(repeating: fill, count: $0) }.joined(separator: middle) + right
        }
        func row(_ a: String, _ b: String, _ c: String, _ bar: String) -> String {
            bar + " " + a.padding(widths[0] - 1) + bar + " " + b.padding(widths[1] - 1) + bar
                + String(repeating: " ", count: widths[2] - 1 - c.count) + c + " " + bar
        }
        var out = ["Model: \"\(name)\"", line("┏", "┳", "┓", "━"), row(headers.0, headers.1, headers.2, "┃"), line("┡", "╇", "┩", "━")]
        for (index, r) in rows.enumerated() {
            out.append(row(r.0, r.1, r.2, "│"))
            out.append(index == rows.count - 1 ? line("└", "┴", "┘", "─") : line("├", "┼", "┤", "─"))
        }
        if rows.isEmpty { out.append(line("└", "┴", "┘", "─")) }
        let total = parameterCount
        let bytes = total * MemoryLayout<Scalar>.size
        out.append(" Total params: \(formatted(total)) (\(byteSize(bytes)))")
        out.append(" Trainable params: \(formatted(total)) (\(byteSize(bytes)))")
        out.append(" Non-trainable params: 0 (0.00 B)")
        return out.joined(separator: "\n")
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

import Foundation

/// A small SVG line chart of the per-epoch losses (`loss`, `val_loss`).
enum LossPlot {
    static func svg(_ history: [String: [Double]], title: String = "Training loss") -> String {
        let width = 640.0, height = 400.0
        let left = 70.0, right = 20.0, top = 40.0, bottom = 50.0
        let series = [("loss", "#1f77b4"), ("val_loss", "#ff7f0e")].compactMap { name, color in
            history[name].flatMap { $0.isEmpty ? nil : (name, color, $0) }
        }
        let values = series.flatMap { $0.2 }.filter(\.isFinite)
        let epochs = max(series.map { $0.2.count }.max() ?? 1, 1)
        var low = values.min() ?? 0, high = values.max() ?? 1
        if high - low < 1e-12 { high += 0.5; low -= 0.5 }
        let pad = (high - low) * 0.05
        low = low >= 0 ? max(0, low - pad) : low - pad
        high += pad
        func x(_ epoch: Int) -> Double {
            left + (epochs == 1 ? 0.5 : Double(epoch) / Double(epochs - 1)) * (width - left - right)
        }
        func y(_ value: Double) -> Double { top + (high - value) / (high - low) * (height - top - bottom) }
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(width / 2)" y="22" text-anchor="middle" font-size="15">\(title)</text>

        """
        // Axes, with five ticks on each.
        out += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" stroke=\"black\"/>\n"
        out += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\" stroke=\"black\"/>\n"
        for i in 0...4 {
            let value = low + (high - low) * Double(i) / 4
            let py = y(value)
            out += "<line x1=\"\(left - 4)\" y1=\"\(py)\" x2=\"\(width - right)\" y2=\"\(py)\" stroke=\"#ddd\"/>\n"
            out += "<text x=\"\(left - 8)\" y=\"\(py + 4)\" text-anchor=\"end\">\(String(format: "%.4g", value))</text>\n"
        }
        let step = max(1, epochs / 8)
        for epoch in stride(from: 0, to: epochs, by: step) {
            out += "<text x=\"\(x(epoch))\" y=\"\(height - bottom + 18)\" text-anchor=\"middle\">\(epoch + 1)</text>\n"
        }
        out += "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">epoch</text>\n"
        out += "<text x=\"16\" y=\"\((top + height - bottom) / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 16 \((top + height - bottom) / 2))\">loss</text>\n"
        for (index, (name, color, points)) in series.enumerated() {
            let path = points.enumerated().filter { $0.element.isFinite }.map { "\(x($0.offset)),\(y($0.element))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
            for (epoch, value) in points.enumerated() where value.isFinite {
                out += "<circle cx=\"\(x(epoch))\" cy=\"\(y(value))\" r=\"2.5\" fill=\"\(color)\"/>\n"
            }
            let ly = top + 8 + Double(index) * 18
            out += "<line x1=\"\(width - right - 110)\" y1=\"\(ly)\" x2=\"\(width - right - 90)\" y2=\"\(ly)\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            out += "<text x=\"\(width - right - 84)\" y=\"\(ly + 4)\">\(name)</text>\n"
        }
        out += "</svg>\n"
        return out
    }
}

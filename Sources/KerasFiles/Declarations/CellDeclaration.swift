import SwiftGRU

/// Everything the file and export paths know of one recurrent cell kind (the cell inside
/// `RNN(...)`, a `StackedRNNCells` or a layer such as `GRU`): its Keras class name, how its
/// configuration is read and written back, where its weights sit, and its ONNX form. Each
/// cell's declaration sits in its layer's declaration file; ``CellDeclarations/all`` lists them.
struct CellDeclaration: Sendable {
    /// The Keras class name (`GRUCell`).
    let className: String
    /// The cell of a `config` object (its `name` already read).
    let decode: @Sendable (_ config: KerasConfig, _ name: String, _ decoder: KerasConfigDecoder) throws -> any RecurrentCell<Float>
    /// Whether `cell` is this declaration's kind of cell.
    let matches: @Sendable (_ cell: any RecurrentCell<Float>) -> Bool
    /// The cell's configuration, `name` included.
    let encode: @Sendable (_ cell: any RecurrentCell<Float>, _ name: String) throws -> [String: JSONValue]
    /// The cell's ONNX form, or `nil` where it has none.
    let onnx: (@Sendable (_ cell: any RecurrentCell<Float>) throws -> ONNXCellForm)?
    /// The cells whose weights sit in groups of their own under the cell's (a stack's), or
    /// `nil` where the cell keeps its weights in its own `vars` group.
    var innerCells: @Sendable (_ cell: any RecurrentCell<Float>) -> [any RecurrentCell<Float>]? = { _ in nil }

    /// The cell's group name in `model.weights.h5` (`gru_cell`).
    var groupName: String { KerasConfigDecoder.snakeCase(className) }

    /// The declaration of cells of type `C`.
    static func of<C: RecurrentCell & SendableMetatype>(
        _ className: String, _: C.Type,
        decode: @escaping @Sendable (_ config: KerasConfig, _ name: String, _ decoder: KerasConfigDecoder) throws -> C,
        encode: @escaping @Sendable (_ cell: C, _ name: String) throws -> [String: JSONValue],
        onnx: (@Sendable (_ cell: C) throws -> ONNXCellForm)?,
        innerCells: (@Sendable (_ cell: C) -> [any RecurrentCell<Float>])? = nil
    ) -> CellDeclaration where C.Scalar == Float {
        @Sendable func cast(_ cell: any RecurrentCell<Float>) throws -> C {
            guard let cell = cell as? C else { throw FileFormatError("a cell of type \(type(of: cell)) is not a \(className)") }
            return cell
        }
        var onnxForm: (@Sendable (any RecurrentCell<Float>) throws -> ONNXCellForm)?
        if let onnx { onnxForm = { cell in try onnx(try cast(cell)) } }
        var declaration = CellDeclaration(
            className: className, decode: { c, name, decoder in try decode(c, name, decoder) }, matches: { $0 is C },
            encode: { cell, name in try encode(try cast(cell), name) }, onnx: onnxForm)
        if let innerCells { declaration.innerCells = { cell in (cell as? C).map(innerCells) } }
        return declaration
    }
}

/// A recurrent cell's ONNX form: one recurrent node, or the cells of a stack, each its own node.
enum ONNXCellForm {
    case node(ONNXRecurrentNode)
    case stack([any RecurrentCell<Float>])
}

/// One ONNX recurrent node (`GRU`, `LSTM`, `RNN`) for one direction: its weights in ONNX's
/// gate order and layout, and its activations in ONNX's order.
struct ONNXRecurrentNode {
    var op: String
    var hidden: Int
    /// `W`, `(gates * hidden, inputs)`.
    var kernel: Tensor<Float>
    /// `R`, `(gates * hidden, hidden)`.
    var recurrentKernel: Tensor<Float>
    /// `B`: the input biases, then the recurrent ones; `nil` without a bias.
    var bias: Tensor<Float>?
    var activations: [Activation]
    var attributes: [(String, ONNXGraph.Attribute)] = []

    /// The node of a cell whose `weights` are Keras' kernel `(inputs, gates * hidden)`,
    /// recurrent kernel and optional bias, with `gates` reordered by `order` (Keras' gate
    /// index of each of ONNX's) and `bias` made ONNX's `[input biases, recurrent biases]`.
    init(
        op: String, hidden: Int, weights: [Tensor<Float>], order: [Int]? = nil, activations: [Activation],
        attributes: [(String, ONNXGraph.Attribute)] = [], bias: (Tensor<Float>) throws -> Tensor<Float>
    ) throws {
        guard weights.count >= 2 else { throw FileFormatError("the cell is not built") }
        func reordered(_ t: Tensor<Float>) throws -> Tensor<Float> {
            guard let order else { return t }
            let block = t.scalarCount / order.count, s = t.scalars
            return try Tensor(shape: t.shape, scalars: order.flatMap { s[($0 * block)..<(($0 + 1) * block)] })
        }
        self.op = op
        self.hidden = hidden
        kernel = try reordered(try weights[0].transposed([1, 0]))
        recurrentKernel = try reordered(try weights[1].transposed([1, 0]))
        self.bias = weights.count > 2 ? try bias(try reordered(weights[2].reshaped(to: [weights[2].scalarCount]))) : nil
        self.activations = activations
        self.attributes = attributes
    }

    /// Keras' input biases with zero recurrent biases after them.
    static func zeroRecurrentBias(_ bias: Tensor<Float>) throws -> Tensor<Float> {
        try Tensor(shape: [2 * bias.scalarCount], scalars: bias.scalars + [Float](repeating: 0, count: bias.scalarCount))
    }
}

/// The declared cell kinds, by Keras class name.
enum CellDeclarations {
    static let all: [CellDeclaration] = [.gruCell, .lstmCell, .simpleRNNCell, .stackedRNNCells]

    static let byClassName: [String: CellDeclaration] = Dictionary(all.map { ($0.className, $0) }) { first, _ in first }

    /// The declaration of `cell`'s kind.
    static func declaration(for cell: any RecurrentCell<Float>) throws -> CellDeclaration {
        guard let declaration = all.first(where: { $0.matches(cell) }) else {
            throw FileFormatError("cells of type \(type(of: cell)) have no declaration; declared: \(all.map(\.className).joined(separator: ", "))")
        }
        return declaration
    }
}

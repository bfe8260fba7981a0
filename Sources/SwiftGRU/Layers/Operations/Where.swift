/// Picks from two sides by a condition (Keras' `ops.where(condition, x, y)` in a functional
/// model: its `Where` operation), with NumPy's broadcasting over the three: `x` where the
/// condition is true (not 0), `y` elsewhere. Each side is the call's tensor of that position or
/// a number. The gradient goes to the side picked; the condition takes none. The output has no
/// mask, as Keras' operations give none.
public final class Where<Scalar: TensorScalar>: BroadcastingOperation<Scalar> {
    /// Creates the operation; the condition is a tensor.
    ///
    /// - Throws: ``LayerError`` when the condition is a number, or a side is not finite.
    public init(condition: Operand = .tensor, _ x: Operand, _ y: Operand, name: String? = nil) throws {
        guard condition == .tensor else { throw LayerError(.invalidArgument, "where: the condition must be a tensor") }
        try super.init(
            operands: [condition, x, y], name: name ?? "where", operation: "where",
            function: { c, x, y in c != 0 ? x : y },
            gradients: { g, c, _, _ in c != 0 ? (0, g, 0) : (0, 0, g) })
    }
}

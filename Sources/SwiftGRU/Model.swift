/// A model: layers wired from inputs to outputs (``Sequential`` or ``Functional``).
public protocol Model<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar

    var name: String { get }
    /// The layers, each once, in the order Keras lists them (inputs excluded).
    var layers: [any Layer<Scalar>] { get }
    /// The shape of each input, batch axis first (`nil` where any extent is accepted).
    var inputShapes: [[Int?]] { get }
    /// The name of each output, in output order.
    var outputNames: [String] { get }

    /// Runs the model on one batch.
    ///
    /// - Parameters:
    ///   - inputs: One tensor per input.
    ///   - training: Applies dropout when `true`.
    /// - Returns: One tensor per output.
    /// - Throws: ``LayerError`` when an input does not fit.
    func predict(_ inputs: [Tensor<Scalar>], training: Bool) throws -> [Tensor<Scalar>]

    /// Zeroes the states of every stateful layer.
    func resetStates()
}

extension Model {
    /// The number of scalars in all weights.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// Whether some layer keeps state between calls.
    public var isStateful: Bool {
        layers.contains { layer in
            (layer as? RNN<Scalar>)?.stateful ?? (layer as? Bidirectional<Scalar>)?.forwardLayer.stateful ?? false
        }
    }

    /// Checks `inputs` against ``inputShapes``, naming the first mismatch.
    func checkInputs(_ inputs: [Tensor<Scalar>]) throws {
        guard inputs.count == inputShapes.count else {
            throw LayerError(.invalidInputShape, "model '\(name)' expects \(inputShapes.count) input(s), got \(inputs.count)")
        }
        for (index, (input, expected)) in zip(inputs, inputShapes).enumerated() {
            let fits = input.rank == expected.count && zip(input.shape, expected).allSatisfy { $1 == nil || $0 == $1 }
            guard fits else {
                throw LayerError(.invalidInputShape, "model '\(name)' input \(index) must have shape \(describe(expected)), got \(input.shape)")
            }
        }
    }
}

/// Resets the states of the recurrent layers among `layers`.
func resetRecurrentStates<Scalar: TensorScalar>(_ layers: [any Layer<Scalar>]) {
    for layer in layers {
        (layer as? RNN<Scalar>)?.resetStates()
        (layer as? Bidirectional<Scalar>)?.resetStates()
    }
}

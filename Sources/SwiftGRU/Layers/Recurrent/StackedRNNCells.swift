/// Cells applied one after another at each step (Keras' `StackedRNNCells`):
/// the output of each cell is the input of the next.
///
/// Its states are the states of all cells in order; its output is the last cell's.
public final class StackedRNNCells<Scalar: TensorScalar>: RecurrentCell {
    public var name = "stacked_rnn_cells"
    /// The cells, first to last.
    public let cells: [any RecurrentCell<Scalar>]

    /// Stacks `cells`.
    ///
    /// - Throws: ``LayerError`` when `cells` is empty.
    public init(_ cells: [any RecurrentCell<Scalar>]) throws {
        guard !cells.isEmpty else {
            throw LayerError(.invalidArgument, "StackedRNNCells needs at least one cell")
        }
        self.cells = cells
    }

    public var stateSize: [Int] { cells.flatMap { $0.stateSize } }
    public var outputSize: Int { cells[cells.count - 1].outputSize }
    public var isBuilt: Bool { cells.allSatisfy { $0.isBuilt } }
    public var inputSize: Int? { cells[0].inputSize }

    public func build(inputSize: Int) throws {
        var size = inputSize
        for cell in cells {
            if let built = cell.inputSize, built != size {
                throw LayerError(.invalidInputShape, "StackedRNNCells: a cell built for \(built) inputs receives \(size)")
            }
            if !cell.isBuilt { try cell.build(inputSize: size) }
            size = cell.outputSize
        }
    }

    public var weights: [Tensor<Scalar>] { cells.flatMap { $0.weights } }

    public var randomState: [UInt64] { cells.flatMap(\.randomState) }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        for cell in cells { try cell.restoreRandomState(&state) }
    }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        let counts = cells.map { $0.weights.count }
        guard counts.allSatisfy({ $0 > 0 }) else {
            throw LayerError(.invalidWeights, "StackedRNNCells: build the cells before setting their weights")
        }
        guard weights.count == counts.reduce(0, +) else {
            throw LayerError(.invalidWeights, "StackedRNNCells expects \(counts.reduce(0, +)) weights, got \(weights.count)")
        }
        var start = 0
        for (cell, count) in zip(cells, counts) {
            try cell.setWeights(Array(weights[start..<(start + count)]))
            start += count
        }
    }

    public func initialState(batchSize: Int) -> [Tensor<Scalar>] {
        cells.flatMap { $0.initialState(batchSize: batchSize) }
    }

    public var acceptsConstants: Bool { cells.contains { $0.acceptsConstants } }

    public func beginSequence(batchSize: Int, training: Bool) throws {
        for cell in cells { try cell.beginSequence(batchSize: batchSize, training: training) }
    }

    public func endSequence() {
        for cell in cells { cell.endSequence() }
    }

    public func step(
        _ input: Tensor<Scalar>, states: [Tensor<Scalar>], constants: [Tensor<Scalar>], training: Bool
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>]) {
        guard states.count == stateSize.count else {
            throw LayerError(.invalidInputShape, "StackedRNNCells expects \(stateSize.count) states, got \(states.count)")
        }
        var x = input
        var newStates = [Tensor<Scalar>]()
        var start = 0
        for cell in cells {
            let count = cell.stateSize.count
            let (output, cellStates) = try cell.step(
                x, states: Array(states[start..<(start + count)]),
                constants: cell.acceptsConstants ? constants : [], training: training)
            newStates += cellStates
            x = output
            start += count
        }
        return (x, newStates)
    }

    public func makeCopy() throws -> any RecurrentCell<Scalar> {
        let copy = try StackedRNNCells(cells.map { try $0.makeCopy() })
        copy.name = name
        return copy
    }
}

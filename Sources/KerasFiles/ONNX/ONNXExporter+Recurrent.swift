import SwiftGRU

extension ONNXExporter {
    /// The emitter of RNN layers (GRU, LSTM, SimpleRNN, RNN over a cell or a stack): the
    /// cell's declaration gives its ONNX node or the cells of its stack.
    static let recurrentLayer = ONNXEmitter.of(RNN<Float>.self) { exporter, rnn, call in
        try exporter.recurrent(rnn, backward: nil, merge: nil, call.x, initialStates: call.initialStates)
    }

    /// A GRU, LSTM or SimpleRNN layer, alone or as the two halves of a Bidirectional one.
    mutating func recurrent(
        _ forward: RNN<Float>, backward: RNN<Float>?, merge: Bidirectional<Float>.MergeMode?, _ x: ONNXValue, wrapper: (any Layer<Float>)? = nil,
        initialStates: [String] = []
    ) throws -> [ONNXValue] {
        let layer: any Layer<Float> = wrapper ?? forward
        guard !forward.timeMajor else { throw fail(layer, "time-major inputs are not exported") }
        guard !forward.stateful || stateInputs else {
            throw fail(layer, "a stateful layer keeps state across calls, which an ONNX graph does not (export it with --streaming)")
        }
        let halves = [forward] + (backward.map { [$0] } ?? [])
        var op = "", hidden = 0, activations = [String](), alphas = [Float](), betas = [Float]()
        var ws = [Tensor<Float>](), rs = [Tensor<Float>](), bs = [Tensor<Float>]()
        var attributes = [(String, ONNXGraph.Attribute)]()
        for half in halves {
            guard let form = try CellDeclarations.declaration(for: half.cell).onnx else {
                throw fail(layer, "cells of type \(type(of: half.cell)) have no ONNX form here")
            }
            let node: ONNXRecurrentNode
            switch try form(half.cell) {
            case .node(let one): node = one
            case .stack(let cells):
                guard backward == nil, wrapper == nil else { throw fail(layer, "stacked cells in both directions are not exported") }
                return try self.stacked(forward, cells, x, initialStates: initialStates)
            }
            (op, hidden, attributes) = (node.op, node.hidden, node.attributes)
            ws.append(node.kernel)
            rs.append(node.recurrentKernel)
            if let bias = node.bias { bs.append(bias) }
            let functions = node.activations
            // ONNX Runtime takes the parameters in order for the activations that have them.
            for function in functions {
                let (name, alpha, beta) = try rnnActivation(function, layer)
                activations.append(name)
                if let alpha { alphas.append(alpha) }
                if let beta { betas.append(beta) }
            }
        }
        guard bs.isEmpty || bs.count == halves.count else { throw fail(layer, "one half has a bias and the other not") }
        let directions = halves.count
        let direction = directions == 2 ? "bidirectional" : (forward.goBackwards ? "reverse" : "forward")
        if forward.goBackwards, backward == nil, forward.returnSequences, x.lengths != nil {
            throw fail(layer, "go_backwards over masked steps returns them in an order ONNX does not give")
        }
        func stacked(_ tensors: [Tensor<Float>]) throws -> Tensor<Float> {
            try Tensor(shape: [tensors.count] + tensors[0].shape, scalars: tensors.flatMap(\.scalars))
        }
        attributes += [("hidden_size", .int(hidden)), ("direction", .string(direction)), ("activations", .strings(activations))]
        if !alphas.isEmpty { attributes.append(("activation_alpha", .floats(alphas))) }
        if !betas.isEmpty { attributes.append(("activation_beta", .floats(betas))) }
        let timeMajor = graph.op("Transpose", [x.name], [("perm", .ints([1, 0, 2]))])
        var nodeInputs = [timeMajor, graph.constant(try stacked(ws), "W"), graph.constant(try stacked(rs), "R")]
        nodeInputs.append(bs.isEmpty ? "" : graph.constant(try stacked(bs), "B"))
        let kinds = op == "LSTM" ? 2 : 1
        var states = initialStates
        if states.isEmpty, stateInputs {
            guard direction == "forward" else { throw fail(layer, "reads the sequence backwards, so it cannot run a chunk at a time") }
            // Keras' initial_state order: each direction's states (h, then c for an LSTM).
            for d in 0..<directions {
                for k in 0..<kinds {
                    let name = "\(layer.name)_state\(d * kinds + k)"
                    graph.inputs.append((name, [nil, hidden], .float))
                    states.append(name)
                }
            }
        }
        guard states.isEmpty || states.count == directions * kinds else {
            throw fail(layer, "\(states.count) initial states given; it has \(directions * kinds)")
        }
        nodeInputs.append(x.lengths ?? "")
        var givenStates = [String]()
        for k in 0..<(states.isEmpty ? 0 : kinds) {
            // (directions, batch, hidden) from each direction's (batch, hidden).
            let perDirection = (0..<directions).map { graph.op("Unsqueeze", [states[$0 * kinds + k], graph.int64s([0])]) }
            givenStates.append(directions == 1 ? perDirection[0] : graph.op("Concat", perDirection, [("axis", .int(0))]))
        }
        nodeInputs += givenStates
        while nodeInputs.last == "" { nodeInputs.removeLast() }
        var outs = graph.node(op, nodeInputs, outputs: op == "LSTM" ? 3 : 2, attributes)
        if let lengths = x.lengths, !givenStates.isEmpty {
            // A sample with no kept step keeps the states it was given, as Keras' masked steps do
            // (ONNX Runtime gives zeros for a sequence of length 0).
            let counted = graph.op("Cast", [lengths], [("to", .int(1))])
            let kept = graph.op("Greater", [counted, graph.constant(Tensor(repeating: 0, shape: []), "zero")])
            let mask = graph.op("Unsqueeze", [kept, graph.int64s([0, 2])])  // (1, batch, 1)
            for k in 0..<kinds { outs[1 + k] = graph.op("Where", [mask, outs[1 + k], givenStates[k]]) }
        }
        if stateInputs, initialStates.isEmpty {
            for d in 0..<directions {
                for k in 0..<kinds {
                    let state = graph.op("Gather", [outs[1 + k], graph.int64s([d], shape: [], "direction")], [("axis", .int(0))])
                    stateOutputs.append((state, "\(layer.name)_state\(d * kinds + k)_out", hidden))
                }
            }
        }
        let returnSequences = forward.returnSequences
        var output: String
        if returnSequences {
            let batchMajor = graph.op("Transpose", [outs[0]], [("perm", .ints([2, 0, 1, 3]))])  // (batch, steps, directions, hidden)
            output = try merged(batchMajor, axis: 2, directions: directions, merge: merge, layer)
            if direction == "reverse" {
                output = graph.op("Slice", [output, graph.int64s([-1]), graph.int64s([Int(Int64.min)]), graph.int64s([1]), graph.int64s([-1])])
            }
        } else {
            let batchMajor = graph.op("Transpose", [outs[1]], [("perm", .ints([1, 0, 2]))])  // (batch, directions, hidden)
            output = try merged(batchMajor, axis: 1, directions: directions, merge: merge, layer)
        }
        var results = [ONNXValue(name: output, lengths: returnSequences ? x.lengths : nil,
                             paddingDiffers: returnSequences && x.lengths != nil && !forward.zeroOutputForMask)]
        if merge == nil, directions == 2 {
            // Keras' merge_mode = NULL: the forward and backward outputs.
            results = [0, 1].map { d in
                let axis = returnSequences ? 2 : 1
                let source = returnSequences ? graph.op("Transpose", [outs[0]], [("perm", .ints([2, 0, 1, 3]))]) : graph.op("Transpose", [outs[1]], [("perm", .ints([1, 0, 2]))])
                return ONNXValue(name: graph.op("Gather", [source, graph.int64s([d], shape: [], "direction")], [("axis", .int(axis))]),
                             lengths: results[0].lengths, paddingDiffers: results[0].paddingDiffers)
            }
        }
        if forward.returnState {
            for d in 0..<directions {
                for k in 0..<(op == "LSTM" ? 2 : 1) {
                    let state = graph.op("Gather", [outs[1 + k], graph.int64s([d], shape: [], "direction")], [("axis", .int(0))])
                    results.append(ONNXValue(name: state))
                }
            }
        }
        return results
    }

    /// An RNN over stacked cells as one recurrent node per cell, each reading the whole
    /// sequence of the one before (what the stack computes step by step); the states of
    /// every cell in order, as Keras returns them.
    mutating func stacked(_ rnn: RNN<Float>, _ cells: [any RecurrentCell<Float>], _ x: ONNXValue, initialStates: [String]) throws -> [ONNXValue] {
        guard !rnn.goBackwards else { throw fail(rnn, "stacked cells reading backwards are not exported") }
        var input = x, states = [ONNXValue](), given = initialStates[...]
        var output = x
        for (k, cell) in cells.enumerated() {
            let last = k == cells.count - 1
            let layer = RNN<Float>(
                cell: cell, returnSequences: last ? rnn.returnSequences : true, returnState: rnn.returnState,
                zeroOutputForMask: last ? rnn.zeroOutputForMask : true, name: "\(rnn.name)_cell\(k)")
            let count = cell.stateSize.count
            let results = try recurrent(layer, backward: nil, merge: nil, input, initialStates: given.isEmpty ? [] : Array(given.prefix(count)))
            given = given.dropFirst(given.isEmpty ? 0 : count)
            states += results.dropFirst()
            output = results[0]
            input = ONNXValue(name: results[0].name, lengths: x.lengths)
        }
        return [output] + states
    }

    /// The directions of `(…, directions, hidden)` merged as Keras merges them.
    mutating func merged(_ value: String, axis: Int, directions: Int, merge: Bidirectional<Float>.MergeMode?, _ layer: any Layer<Float>) throws -> String {
        switch directions == 2 ? merge : .concat {
        case .concat?, nil:
            // One direction, or the directions concatenated: the last two axes flattened.
            return graph.op("Reshape", [value, graph.int64s(Array(repeating: 0, count: axis) + [-1], "shape")])
        case .sum?: return graph.op("ReduceSum", [value, graph.int64s([axis])], [("keepdims", .int(0))])
        case .ave?: return graph.op("ReduceMean", [value], [("axes", .ints([axis])), ("keepdims", .int(0))])
        case .mul?: return graph.op("ReduceProd", [value], [("axes", .ints([axis])), ("keepdims", .int(0))])
        }
    }
}

import GRUCUDA
internal import GRUMath
import GRUTensor

/// A GRU call recorded on a device, with what its backward pass needs to map gradients
/// between Keras' layout and the device's packed rows.
struct DeviceSequenceRecord<Scalar: TensorScalar> {
    let backend: any GRUDeviceBackend
    let tape: any GRUDeviceTape
    let layout: DeviceSequenceLayout
    /// The input-dropout mask `(batch, features)` the inputs were multiplied by, if any.
    let dropout: Tensor<Scalar>?
    let spec: GRUSpec
    let returnSequences: Bool
    let zeroOutputForMask: Bool

    func backward(outputGradient: Tensor<Scalar>?, finalStateGradient: Tensor<Scalar>?) throws -> GRUSequenceGradients<Scalar> {
        let u = spec.units
        let dy = layout.packOutputGradient(
            outputGradient, units: u, returnSequences: returnSequences, zeroOutputForMask: zeroOutputForMask)
        let dhy = finalStateGradient?.scalars ?? [Scalar](repeating: 0, count: layout.batch * u)
        var gradients = try backend.backward(tape, outputGradient: dy, finalStateGradient: dhy)
        gradients.inputs = try layout.unpackInputGradient(gradients.inputs.scalars, features: spec.inputSize, dropout: dropout)
        return gradients
    }
}

extension GRU {
    /// The device this call runs on and how its rows are packed, or `nil` for the CPU.
    ///
    /// Keras' `GRU.inner_loop` tries `backend.gru` (cuDNN) before the generic RNN loop; this is
    /// that choice: the layer's `useCuDNN`, the process's ``ComputeDevice``, cuDNN's conditions
    /// and whether a GPU is there.
    /// - Throws: ``LayerError`` when `useCuDNN` is `true` or the device is `.gpu` and the GPU
    ///   cannot run this call, naming the first reason.
    func deviceChoice(inputs: Tensor<Scalar>, mask: Tensor<Bool>?) throws -> (backend: any GRUDeviceBackend, layout: DeviceSequenceLayout)? {
        guard useCuDNN != .disabled else { return nil }
        let device = ComputeDevice.current
        func refuse(_ reason: String) throws -> (backend: any GRUDeviceBackend, layout: DeviceSequenceLayout)? {
            if useCuDNN == .enabled {
                throw LayerError(.unsupported, "\(name): use_cudnn is true but cuDNN cannot run this layer: \(reason). Pass useCuDNN: .auto to fall back to the CPU implementation")
            }
            if device == .gpu {
                throw LayerError(.unsupported, "\(name): the compute device is gpu but cuDNN cannot run this layer: \(reason). Use the device auto to fall back to the CPU where needed")
            }
            return nil
        }
        if let reason = cuDNNIncompatibility(mask: mask) { return try refuse(reason) }
        if gruCell.dropoutMasks.input.count > 1 { return try refuse("the input dropout has one mask per gate") }
        let backend: any GRUDeviceBackend
        if let deviceBackendOverride {
            backend = deviceBackendOverride
        } else {
            if device == .cpu { return try refuse("the compute device is set to cpu") }
            switch CuDNNGRUBackend.shared {
            case .success(let found): backend = found
            case .failure(let error): return try refuse("no GPU with cuDNN is available on this machine (\(error.message))")
            }
        }
        guard inputs.rank == 3,
              let layout = DeviceSequenceLayout(
                batch: inputs.shape[timeMajor ? 1 : 0], steps: inputs.shape[timeMajor ? 0 : 1], mask: mask,
                goBackwards: goBackwards, timeMajor: timeMajor)
        else { return try refuse("a sequence in the batch has every step masked") }
        return (backend, layout)
    }

    /// Runs the sequence on a device: packs the unmasked steps, runs them there, spreads the
    /// outputs back into Keras' layout.
    func runOnDevice(
        _ backend: any GRUDeviceBackend, layout: DeviceSequenceLayout, inputs: Tensor<Scalar>,
        initialState: Tensor<Scalar>, recording: Bool
    ) throws -> (output: Tensor<Scalar>, finalState: Tensor<Scalar>, record: DeviceSequenceRecord<Scalar>?) {
        guard let (spec, weights) = gruCell.parameters else {
            throw LayerError(.invalidInputShape, "\(name): the layer is not built")
        }
        let dropout = gruCell.dropoutMasks.input.first
        let packed = layout.pack(inputs, dropout: dropout)
        let result: (output: [Scalar], finalState: [Scalar], tape: (any GRUDeviceTape)?)
        do {
            result = try backend.forward(
                spec: spec, weights: weights, inputs: packed, initialState: initialState.scalars, recording: recording)
        } catch let error as GPUError {
            throw LayerError(.unsupported, "\(name): the GPU failed: \(error.message)")
        } catch let error as TensorError {
            throw LayerError(.invalidInputShape, "\(name): \(error.message)")
        }
        let output = try layout.unpackOutput(
            result.output, units: spec.units, returnSequences: returnSequences, zeroOutputForMask: zeroOutputForMask)
        let finalState = try Tensor(shape: [layout.batch, spec.units], scalars: result.finalState)
        let record = result.tape.map {
            DeviceSequenceRecord(
                backend: backend, tape: $0, layout: layout, dropout: dropout, spec: spec,
                returnSequences: returnSequences, zeroOutputForMask: zeroOutputForMask)
        }
        return (output, finalState, record)
    }
}

import GRUMath
import Testing

@testable import SwiftGRU

/// The layer's device path (packing the unmasked steps, dropout, spreading outputs and
/// gradients back) run with the CPU's packed-sequence reference in the GPU's place: it must
/// give the CPU path's numbers. `gru gpu-check` runs the same cases on a real GPU.
@Suite("Device path")
struct DevicePathTests {
    @Test(arguments: DeviceAgreementCheck.standardCases())
    func devicePathMatchesTheCPUPath(_ c: DeviceAgreementCheck.Case) throws {
        let difference = try DeviceAgreementCheck.compare(c, backend: CPUPackedGRUBackend())
        #expect(difference.forward <= 1e-5, "\(c): outputs differ by \(difference.forward)")
        #expect(difference.gradients <= 1e-4, "\(c): gradients differ by \(difference.gradients)")
    }

    /// Any mask pattern (holes, left padding, reversed) packs exactly: the layer sends only
    /// right-padded masks to cuDNN, as Keras does, but the packing does not depend on it.
    @Test(arguments: [false, true], [false, true])
    func packingHandlesEveryMaskPattern(goBackwards: Bool, zeroOutputForMask: Bool) throws {
        let x: Tensor<Float> = try Initializer.randomNormal(stddev: 1, seed: 3).makeTensor(shape: [3, 6, 4])
        let mask = try Tensor<Bool>(shape: [3, 6], scalars: [
            false, true, false, true, true, false,
            false, false, false, false, true, true,
            true, true, true, true, true, true,
        ])
        for returnSequences in [false, true] {
            let gru = try GRU<Float>(
                units: 5, biasInitializer: .randomNormal(seed: 4), returnSequences: returnSequences,
                goBackwards: goBackwards, useCuDNN: false)
            gru.zeroOutputForMask = zeroOutputForMask
            let expected = try gru(x, mask: mask, initialState: [Tensor(repeating: 0.25, shape: [3, 5])])
            let layout = try #require(DeviceSequenceLayout(batch: 3, steps: 6, mask: mask, goBackwards: goBackwards, timeMajor: false))
            #expect(layout.lengths == [3, 2, 6])
            let device = try gru.runOnDevice(
                CPUPackedGRUBackend(), layout: layout, inputs: x, initialState: Tensor(repeating: 0.25, shape: [3, 5]),
                recording: false)
            #expect(try device.output.maxAbsoluteDifference(to: expected.output) <= 1e-6)
        }
    }

    @Test func anEmptyRowStaysOnTheCPU() throws {
        let mask = try Tensor<Bool>(shape: [2, 3], scalars: [true, true, false, false, false, false])
        #expect(DeviceSequenceLayout(batch: 2, steps: 3, mask: mask, goBackwards: false, timeMajor: false) == nil)
        let gru = try GRU<Float>(units: 2, useCuDNN: true)
        gru.deviceBackendOverride = CPUPackedGRUBackend()
        let x = Tensor<Float>(repeating: 1, shape: [2, 3, 2])
        #expect(throws: LayerError.self) { try gru(x, mask: mask) }
        let automatic = try GRU<Float>(units: 2, useCuDNN: .auto)
        automatic.deviceBackendOverride = CPUPackedGRUBackend()
        #expect(try automatic(x, mask: mask).output.shape == [2, 2])
    }
}

import GRUCUDA
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where ``GRU`` layers run in this process: the CPU, an NVIDIA GPU through cuDNN, or the
/// GPU when one is there and the layer meets cuDNN's conditions (Keras' behaviour).
///
/// A layer's own `useCuDNN` still counts: `false` keeps it on the CPU, and `true` makes a
/// call fail when the GPU cannot run it. `.gpu` is the process-wide form of `true` for every
/// layer that does not say `false`.
///
/// The GPU libraries (the CUDA runtime and cuDNN 8 or 9) are found at run time: in the
/// folders of `GRU_CUDA_LIBRARY_PATH`, on the system's library path, under
/// `/usr/local/cuda`, or in the `nvidia` pip packages of the Python environments on `PATH`.
/// Nothing about them is needed to build.
public enum ComputeDevice: String, Sendable, Hashable, CaseIterable {
    case auto
    case cpu
    case gpu

    private static let setting = Mutex<ComputeDevice>(
        getenv("GRU_DEVICE").flatMap { ComputeDevice(rawValue: String(cString: $0).lowercased()) } ?? .auto)

    /// The device in force; starts as `GRU_DEVICE` (`auto`, `cpu` or `gpu`) or `.auto`.
    public static var current: ComputeDevice {
        get { setting.withLock { $0 } }
        set { setting.withLock { $0 = newValue } }
    }

    /// The GPU and its library versions when one can be used, else `nil`.
    public static var gpuDescription: String? {
        try? CuDNNGRUBackend.shared.get().deviceDescription
    }

    /// Why no GPU can be used (libraries not found, no device), or `nil` when one can.
    public static var gpuUnavailableReason: String? {
        if case .failure(let error) = CuDNNGRUBackend.shared { return error.message }
        return nil
    }
}

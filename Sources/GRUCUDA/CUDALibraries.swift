import CGRUCUDA
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the GPU cannot be used, or what failed on it.
package struct GPUError: Error, CustomStringConvertible, Sendable {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

/// The CUDA runtime and cuDNN, opened with `dlopen` on first use.
///
/// Where the libraries are looked for, in order: the folders in `GRU_CUDA_LIBRARY_PATH`
/// (colon-separated); the system's library path (`LD_LIBRARY_PATH`, the linker cache);
/// `CUDA_HOME`/`CUDA_PATH` and `/usr/local/cuda`; and the `nvidia/*/lib` folders of the
/// Python environments on `PATH` (and of `VIRTUAL_ENV`, `CONDA_PREFIX`), where the pip
/// packages of CUDA and cuDNN put them.
package final class CUDALibraries: @unchecked Sendable {
    package let api: gru_cuda_api
    /// The cuDNN handle all calls share (calls are serialized by the backend).
    package let handle: UnsafeMutableRawPointer
    package let deviceName: String
    package let cudnnVersion: Int
    package let runtimeVersion: Int
    /// Where cuDNN was found.
    package let cudnnPath: String

    /// The libraries, or why they cannot be used; looked for once per process.
    package static let shared: Result<CUDALibraries, GPUError> = {
        do {
            return .success(try CUDALibraries())
        } catch let error as GPUError {
            return .failure(error)
        } catch {
            return .failure(GPUError("\(error)"))
        }
    }()

    private init() throws {
        let folders = Self.searchFolders()
        guard let cudart = Self.open(["libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0", "libcudart.so"], in: folders) else {
            throw GPUError("the CUDA runtime (libcudart) was not found; set GRU_CUDA_LIBRARY_PATH to the folders holding libcudart and libcudnn")
        }
        // cuDNN 9 loads its parts and cuBLAS by name: opening them first from the same
        // folders lets the dynamic linker find them wherever they are.
        for name in ["libcublasLt.so.13", "libcublas.so.13", "libcublasLt.so.12", "libcublas.so.12", "libnvrtc.so.13", "libnvrtc.so.12"] {
            _ = Self.open([name], in: folders)
        }
        for part in ["graph", "engines_precompiled", "engines_runtime_compiled", "heuristic", "ops", "cnn", "adv"] {
            _ = Self.open(["libcudnn_\(part).so.9"], in: folders)
        }
        guard let cudnn = Self.open(["libcudnn.so.9", "libcudnn.so.8", "libcudnn.so"], in: folders) else {
            throw GPUError("cuDNN (libcudnn) was not found; set GRU_CUDA_LIBRARY_PATH to the folders holding libcudart and libcudnn")
        }
        cudnnPath = cudnn.path
        var table: UnsafeMutablePointer<gru_cuda_api>?
        let missing = gru_cuda_bind(cudart.handle, cudnn.handle, &table)
        guard let table else {
            let name = missing.map { String(cString: $0) } ?? "a function"
            throw GPUError("\(cudnn.path) or the CUDA runtime lacks \(name) (cuDNN 8 or 9 is needed)")
        }
        let api = table.pointee
        free(table)
        var count: Int32 = 0
        let status = api.cudaGetDeviceCount(&count)
        guard status == 0, count > 0 else {
            let reason = status == 0 ? "no device" : String(cString: api.cudaGetErrorString(status))
            throw GPUError("the CUDA runtime found no usable GPU (\(reason))")
        }
        var handle: UnsafeMutableRawPointer?
        let created = api.cudnnCreate(&handle)
        guard created == 0, let handle else {
            throw GPUError("cuDNN could not start: \(String(cString: api.cudnnGetErrorString(created)))")
        }
        var name = [CChar](repeating: 0, count: 256)
        gru_cuda_device_name(cudart.handle, &name, name.count)
        var runtime: Int32 = 0
        _ = api.cudaRuntimeGetVersion(&runtime)
        self.api = api
        self.handle = handle
        self.deviceName = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.cudnnVersion = Int(api.cudnnGetVersion())
        self.runtimeVersion = Int(runtime)
    }

    /// The GPU and library versions, in words.
    package var summary: String {
        "\(deviceName.isEmpty ? "NVIDIA GPU" : deviceName) (cuDNN \(cudnnVersion / 10000).\(cudnnVersion / 100 % 100).\(cudnnVersion % 100), CUDA runtime \(runtimeVersion / 1000).\(runtimeVersion / 10 % 100))"
    }

    /// Throws a ``GPUError`` naming `call` when a CUDA runtime status is not success.
    package func check(cuda status: Int32, _ call: String) throws {
        guard status != 0 else { return }
        throw GPUError("\(call) failed: \(String(cString: api.cudaGetErrorString(status)))")
    }

    /// Throws a ``GPUError`` naming `call` when a cuDNN status is not success.
    package func check(cudnn status: Int32, _ call: String) throws {
        guard status != 0 else { return }
        throw GPUError("\(call) failed: \(String(cString: api.cudnnGetErrorString(status)))")
    }

    private static func open(_ names: [String], in folders: [String]) -> (handle: UnsafeMutableRawPointer, path: String)? {
        for name in names {
            for folder in folders {
                let path = folder + "/" + name
                guard access(path, F_OK) == 0 else { continue }
                if let handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL) { return (handle, path) }
            }
            // The system's own search: LD_LIBRARY_PATH, the linker cache.
            if let handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL) { return (handle, name) }
        }
        return nil
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The folders to look in, most specific first (the system's search comes after the
    /// user's folders and before the rest).
    static func searchFolders() -> [String] {
        var folders = environment("GRU_CUDA_LIBRARY_PATH")?.split(separator: ":").map(String.init) ?? []
        for variable in ["CUDA_HOME", "CUDA_PATH"] {
            if let root = environment(variable) { folders += [root + "/lib64", root + "/lib"] }
        }
        folders += ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib"]
        var prefixes = [String]()
        for variable in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
            if let prefix = environment(variable) { prefixes.append(prefix) }
        }
        for entry in environment("PATH")?.split(separator: ":") ?? [] where entry.hasSuffix("/bin") {
            prefixes.append(String(entry.dropLast(4)))
        }
        if let home = environment("HOME") { prefixes.append(home + "/.local") }
        prefixes += ["/usr/local", "/usr"]
        for prefix in prefixes {
            for packages in ["site-packages", "dist-packages"] {
                folders += expand(prefix + "/lib/python3*/" + packages + "/nvidia/*/lib")
            }
        }
        folders += expand("/usr/lib/python3/dist-packages/nvidia/*/lib")
        var seen = Set<String>()
        return folders.filter { seen.insert($0).inserted }
    }

    private static func expand(_ pattern: String) -> [String] {
        var found = glob_t()
        defer { globfree(&found) }
        guard glob(pattern, 0, nil, &found) == 0 else { return [] }
        return (0..<Int(found.gl_pathc)).compactMap { found.gl_pathv[$0].map { String(cString: $0) } }
    }
}

import SwiftGRU

/// A `config` object (a layer's, a cell's, an optimizer's) as its declaration reads it: every
/// key looked up is noted, so that a key the declaration never read is refused by name instead
/// of being skipped (``KerasConfigDecoder/layer(_:)``, ``KerasCompileConfig/optimizer(from:learningRate:tfKeras2:)``).
struct KerasConfig {
    /// The configuration as the file holds it.
    let json: JSONValue
    private let reads: ReadKeys

    init(_ json: JSONValue) { self.init(json, sharing: ReadKeys()) }

    /// The value of `key`, noting that the declaration read it.
    subscript(key: String) -> JSONValue? {
        reads.keys.insert(key)
        return json[key]
    }

    /// The configuration with `key` set to `value`, sharing this one's notes.
    func setting(_ key: String, to value: JSONValue) -> KerasConfig {
        var object = json.object ?? [:]
        object[key] = value
        return KerasConfig(.object(object), sharing: reads)
    }

    private init(_ json: JSONValue, sharing reads: ReadKeys) {
        self.json = json
        self.reads = reads
    }

    /// The keys of the configuration that no one read, with their values, in key order.
    var unread: [(key: String, value: JSONValue)] {
        (json.object ?? [:]).filter { !reads.keys.contains($0.key) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private final class ReadKeys: @unchecked Sendable {
        var keys = Set<String>()
    }
}

@testable import KerasFiles
import SwiftGRU
import Testing

/// Every key Keras 3 writes for every class the project declares (Scripts/fixtures/list-config-keys.py:
/// each class with Keras' defaults and with other values) is read, declared inert, or refused by
/// name by that class's declaration.
@Suite("Every Keras configuration key has a declaration")
struct DeclaredKeysTests {
    struct Entry: CustomTestStringConvertible, Sendable {
        let kind: String
        let className: String
        let variant: String
        let object: JSONValue
        var testDescription: String { "\(className) (\(variant))" }
    }

    static let entries: [Entry] = {
        guard let bytes = try? ModelFixtures.bytes("config-keys.json"),
              let file = try? JSONValue(parsing: bytes, what: "config-keys.json") else { return [] }
        return (file["entries"]?.array ?? []).compactMap { entry in
            guard let kind = entry["kind"]?.string, let className = entry["class_name"]?.string, let variant = entry["variant"]?.string,
                  let object = entry["object"] else { return nil }
            return Entry(kind: kind, className: className, variant: variant, object: object)
        }
    }()

    @Test func everyDeclaredClassIsListed() throws {
        let listed = Set(Self.entries.map(\.className))
        let layers = LayerDeclarations.all.compactMap(\.classNames.first)
        #expect(!Self.entries.isEmpty)
        #expect(Set(layers).subtracting(listed).isEmpty, "layer classes without Keras' keys: \(Set(layers).subtracting(listed).sorted())")
        let optimizers = OptimizerDeclarations.all.map(\.className)
        #expect(Set(optimizers).subtracting(listed).isEmpty, "optimizers without Keras' keys: \(Set(optimizers).subtracting(listed).sorted())")
    }

    @Test(arguments: entries.filter { $0.kind == "layer" })
    func layerKeysAreDeclared(entry: Entry) throws {
        _ = try KerasConfigDecoder(legacy: false).layer(entry.object)
    }

    /// What is written back is what Keras wrote, key by key.
    @Test(arguments: entries.filter { $0.kind == "layer" })
    func layerConfigsAreWrittenBackAsKerasWroteThem(entry: Entry) throws {
        let layer = try KerasConfigDecoder(legacy: false).layer(entry.object)
        let written = try KerasConfigEncoder.layer(layer, inputShape: nil)
        #expect(written["class_name"] == entry.object["class_name"])
        let expected = entry.object["config"]?.object ?? [:], got = written["config"]?.object ?? [:]
        for key in Set(expected.keys).union(got.keys).sorted() where !Self.equal(expected[key], got[key], key: key) {
            Issue.record("\(entry.className) (\(entry.variant)) '\(key)': Keras wrote \(expected[key].map { "\($0)" } ?? "nothing"), gru writes \(got[key].map { "\($0)" } ?? "nothing")")
        }
    }

    /// Keys that Keras versions after 3.0 added with these defaults, or that Keras writes only
    /// when set: a key one side leaves out equals its default on the other (the files written
    /// here leave them out, so that earlier Keras 3 versions read them).
    static let defaults: [String: JSONValue] = [
        "quantization_config": nil, "input_axes": nil, "output_axes": nil, "seed": nil, "activity_regularizer": nil,
        "renorm": false, "renorm_clipping": nil, "renorm_momentum": 0.99, "rms_scaling": false, "data_format": "channels_last",
        "sliding_window": nil, "use_gate": false,
        // A call's keyword arguments at their defaults (inner models' layer calls).
        "training": false, "mask": nil,
    ]

    /// JSON values equal as Keras reads them: numbers by value, objects key by key, a missing
    /// key of ``defaults`` as its default.
    static func equal(_ a: JSONValue?, _ b: JSONValue?, key: String? = nil) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let a?, let b?):
            if let x = a.double, let y = b.double { return x == y || abs(x - y) <= 1e-7 * max(abs(x), abs(y)) }
            if let x = a.array, let y = b.array { return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) } }
            if let x = a.object, let y = b.object {
                return Set(x.keys).union(y.keys).allSatisfy { equal(x[$0], y[$0], key: $0) }
            }
            return a == b
        case (let value?, nil), (nil, let value?):
            guard let key, let fallback = defaults[key] else { return false }
            return equal(value, fallback)
        }
    }

    /// Keras' base layer takes an activity regularizer on any layer; those that do not apply
    /// one here refuse it by name.
    @Test(arguments: entries.filter { $0.kind == "refused layer" })
    func unappliedKeysAreRefusedByName(entry: Entry) throws {
        do {
            _ = try KerasConfigDecoder(legacy: false).layer(entry.object)
            Issue.record("\(entry.className) with \(entry.variant) was accepted")
        } catch let error as FileFormatError {
            #expect(error.message.contains(entry.variant), "\(error.message)")
        }
    }

    @Test(arguments: entries.filter { $0.kind == "optimizer" })
    func optimizerKeysAreDeclared(entry: Entry) throws {
        _ = try KerasCompileConfig.optimizer(from: .object(["optimizer": entry.object]))
    }
}

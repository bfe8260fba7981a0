import KerasFiles
import SwiftGRU
import Testing

/// Every key of a layer's configuration is read and applied, declared inert, or refused by
/// layer and key: never skipped.
@Suite("Configuration keys")
struct ConfigKeyTests {
    static func sequential(_ layer: String) -> String {
        """
        {"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 3], "name": "in"}},
          \(layer)]}}
        """
    }

    @Test func anUnknownKeyIsRefusedByLayerAndKey() throws {
        let json = Self.sequential(#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "shiny_new_option": 3}}"#)
        do {
            _ = try KerasModelFile.model(fromJSON: json)
            Issue.record("a configuration key no codec reads was accepted")
        } catch let error as FileFormatError {
            #expect(error.message.contains("'d'") && error.message.contains("shiny_new_option"), "\(error.message)")
        }
    }

    @Test func aQuantizedLayerIsRefused() throws {
        let json = Self.sequential(#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "quantization_config": {"mode": "int8"}}}"#)
        #expect(throws: FileFormatError.self) { try KerasModelFile.model(fromJSON: json) }
    }

    @Test func inertAndNullKeysAreRead() throws {
        let json = Self.sequential(#"{"class_name": "GRU", "config": {"name": "g", "units": 2, "implementation": 2, "quantization_config": null}}"#)
        #expect(try KerasModelFile.model(fromJSON: json).layers.count == 1)
    }

    /// Regularizers and constraints of the layers that have them in Keras are read and written
    /// back, constraint axes over several axes too.
    @Test func regularizersAndConstraintsAreWrittenBack() throws {
        let json = Self.sequential(#"""
            {"class_name": "Conv1D", "config": {"name": "c", "filters": 2, "kernel_size": [2],
              "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.05}},
              "activity_regularizer": {"class_name": "L1", "config": {"l1": 0.01}},
              "kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 0.5, "axis": [0, 1]}}}}
            """#)
        let model = try KerasModelFile.model(fromJSON: json)
        let conv = try #require(model.layers.first as? Convolution<Float>)
        #expect(conv.kernelRegularizer == .l2(0.05))
        #expect(conv.activityRegularizer == .l1(0.01))
        #expect(conv.kernelConstraint == .maxNorm(maxValue: 0.5, axis: [0, 1]))
        let reread = try KerasModelFile(bytes: try KerasModelFile.kerasBytes(for: model))
        let copy = try #require(reread.model.layers.first as? Convolution<Float>)
        #expect(copy.kernelRegularizer == conv.kernelRegularizer && copy.activityRegularizer == conv.activityRegularizer)
        #expect(copy.kernelConstraint == conv.kernelConstraint)
    }
}

/// What a model declares beyond its layers' arguments is written back as Keras declared it.
@Suite("Model declarations written back")
struct ModelDeclarationTests {
    @Test func inputDTypesAndPoliciesAreKept() throws {
        let json = #"""
            {"class_name": "Sequential", "config": {"name": "s", "layers": [
              {"class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "int32", "name": "ids"}},
              {"class_name": "Embedding", "config": {"name": "e", "input_dim": 9, "output_dim": 3}},
              {"class_name": "GRU", "config": {"name": "g", "units": 2,
                "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"}}}}]}}
            """#
        let model = try KerasModelFile.model(fromJSON: json)
        #expect((model as? Sequential<Float>)?.inputDType == .int32)
        #expect(model.dtypePolicies == ["g": "mixed_float16"])
        let reread = try KerasModelFile(bytes: try KerasModelFile.kerasBytes(for: model)).model
        #expect((reread as? Sequential<Float>)?.inputDType == .int32)
        #expect(reread.dtypePolicies == ["g": "mixed_float16"])
        #expect(try reread.graph.inputs.map(\.dtype) == [.int32])
    }

    @Test func anInputOfStringsIsRefused() throws {
        let json = #"""
            {"class_name": "Sequential", "config": {"name": "s", "layers": [
              {"class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "string", "name": "text"}},
              {"class_name": "Dense", "config": {"name": "d", "units": 2}}]}}
            """#
        #expect(throws: FileFormatError.self) { try KerasModelFile.model(fromJSON: json) }
    }
}

/// String preprocessing is refused by name, with what to do instead.
@Test func stringPreprocessingIsRefusedWithAWayOut() throws {
    let json = ConfigKeyTests.sequential(#"{"class_name": "TextVectorization", "config": {"name": "vectorize", "max_tokens": 100}}"#)
    do {
        _ = try KerasModelFile.model(fromJSON: json)
        Issue.record("a TextVectorization layer was accepted")
    } catch let error as FileFormatError {
        #expect(error.message.contains("'vectorize'") && error.message.contains("token ids"), "\(error.message)")
    }
}

import Foundation
import Testing
@testable import KerasFiles
import SwiftGRU

/// Sizes read from a file that are absurd (products past Int.max, more values than any
/// machine holds) are errors naming the layer, never traps or impossible allocations.
@Suite("Absurd sizes in model files")
struct AbsurdSizeTests {
    static let huge = "4611686018427387904"

    static func build(_ layers: String, inputShape: String = "[null, 4, 2]") -> Result<Void, Error> {
        let text = #"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": "# + inputShape + "}}, " + layers + "]}}"
        return Result { _ = try KerasModelBuilder(decoder: KerasConfigDecoder(legacy: false)).model(JSONValue(parsing: Array(text.utf8), what: "test")) }
    }

    @Test(arguments: ["GRU", "LSTM", "SimpleRNN", "Dense", "Embedding"])
    func hugeUnitsAreErrors(className: String) {
        let layer = #"{"class_name": ""# + className + #"", "config": {"name": "x", "units": "# + Self.huge + #", "input_dim": "# + Self.huge + #", "output_dim": "# + Self.huge + "}}"
        guard case .failure(let error) = Self.build(layer) else { Issue.record("\(className) with huge sizes loaded"); return }
        #expect(error is FileFormatError)
    }

    @Test(arguments: ["GRU", "LSTM", "SimpleRNN", "Dense", "BatchNormalization"])
    func hugeInputFeaturesAreErrors(className: String) {
        let layer = #"{"class_name": ""# + className + #"", "config": {"name": "x", "units": 3}}"#
        guard case .failure(let error) = Self.build(layer, inputShape: "[null, 4, " + Self.huge + "]") else {
            Issue.record("\(className) on huge inputs loaded")
            return
        }
        #expect(error is FileFormatError)
    }
}

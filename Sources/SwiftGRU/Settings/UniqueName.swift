/// Keras' naming of layers, weights and outputs in a container: the first `gru` keeps its
/// name, the next ones become `gru_1`, `gru_2`, ..., skipping names already taken.
package enum UniqueName {
    /// `name`, or the first `name_1`, `name_2`, ... not in `taken`.
    package static func make(_ name: String, avoiding taken: Set<String>) -> String {
        guard taken.contains(name) else { return name }
        var index = 1
        while taken.contains("\(name)_\(index)") { index += 1 }
        return "\(name)_\(index)"
    }

    /// Each name made unique against the ones before it.
    package static func make(_ names: [String]) -> [String] {
        var taken = Set<String>()
        return names.map { name in
            let unique = make(name, avoiding: taken)
            taken.insert(unique)
            return unique
        }
    }
}

/// Decoded values of a dataset or attribute, in row-major order.
public enum HDF5Array: Sendable, Equatable {
    case floats([Double])
    case integers([Int64])
    case strings([String])

    /// The number of elements.
    public var count: Int {
        switch self {
        case .floats(let v): v.count
        case .integers(let v): v.count
        case .strings(let v): v.count
        }
    }

    /// The values as doubles (integers converted), or `nil` for strings.
    public var doubles: [Double]? {
        switch self {
        case .floats(let v): v
        case .integers(let v): v.map(Double.init)
        case .strings: nil
        }
    }

    /// The values as strings, or `nil` for numbers.
    public var strings: [String]? {
        if case .strings(let v) = self { return v }
        return nil
    }
}

/// An attribute: a small named array attached to a group or dataset.
public struct HDF5Attribute: Sendable, Equatable {
    public let shape: [Int]
    public let value: HDF5Array
}

/// A dataset: shape, element type and where its elements are stored.
public struct HDF5Dataset: Sendable {
    /// Where the elements live in the file.
    enum Storage: Sendable {
        case contiguous(offset: Int, size: Int)
        case compact(ArraySlice<UInt8>)
        /// Never written: every element is zero.
        case unallocated
    }

    /// The extents; empty for a scalar.
    public let shape: [Int]
    public let datatype: HDF5Datatype
    public let attributes: [String: HDF5Attribute]
    let storage: Storage

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }
}

/// A group: named members and attributes.
public struct HDF5Group: Sendable {
    public let attributes: [String: HDF5Attribute]
    public let members: [String: HDF5Node]

    /// Member names in ascending order (numeric names such as `"10"` sort after `"9"`).
    public var memberNames: [String] {
        members.keys.sorted { a, b in
            if let x = Int(a), let y = Int(b) { return x < y }
            return a < b
        }
    }

    /// The member at a slash-separated path below this group, if any.
    public func node(at path: String) -> HDF5Node? {
        var current = HDF5Node.group(self)
        for part in path.split(separator: "/") {
            guard case .group(let group) = current, let next = group.members[String(part)] else { return nil }
            current = next
        }
        return current
    }

    /// The group at a path below this group, if any.
    public func group(at path: String) -> HDF5Group? {
        if case .group(let g)? = node(at: path) { return g }
        return nil
    }

    /// The dataset at a path below this group, if any.
    public func dataset(at path: String) -> HDF5Dataset? {
        if case .dataset(let d)? = node(at: path) { return d }
        return nil
    }
}

/// A member of a group.
public indirect enum HDF5Node: Sendable {
    case group(HDF5Group)
    case dataset(HDF5Dataset)
}

extension HDF5Group {
    /// This group with member names that contain `separator` read as paths: `a\b` becomes
    /// member `b` of member `a`, merged with what `a` already holds. (Keras 2.13 on Windows
    /// wrote its weight groups' names with backslashes.)
    public func splittingNames(on separator: Character) -> HDF5Group {
        var nested = [String: [(path: [Substring], node: HDF5Node)]]()
        for (name, node) in members {
            let parts = name.split(separator: separator, omittingEmptySubsequences: true)
            guard let first = parts.first else { continue }
            nested[String(first), default: []].append((Array(parts.dropFirst()), node))
        }
        var result = [String: HDF5Node]()
        for (name, entries) in nested {
            var own: HDF5Group? = nil
            var deeper = [String: HDF5Node]()
            for (path, node) in entries {
                if path.isEmpty {
                    if case .group(let group) = node { own = group } else { result[name] = node }
                } else {
                    deeper[path.joined(separator: String(separator))] = node
                }
            }
            guard own != nil || !deeper.isEmpty else { continue }
            let base = own ?? HDF5Group(attributes: [:], members: [:])
            let merged = HDF5Group(attributes: base.attributes, members: base.members.merging(deeper) { a, _ in a })
            result[name] = .group(merged.splittingNames(on: separator))
        }
        return HDF5Group(attributes: attributes, members: result.mapValues { node in
            if case .group(let group) = node { return .group(group.splittingNames(on: separator)) }
            return node
        })
    }
}

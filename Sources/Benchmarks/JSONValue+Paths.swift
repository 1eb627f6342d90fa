// What datasets and sample metadata need of the platform's JSON value: scalars as text, and values
// reached by a dotted path (`variants.hard.prompt`, `choices.0`) in a field mapping.
import Foundation
import Platform

extension JSONValue {
    /// Scalars as text (integral numbers without a spurious `.0`); nil for null, arrays and objects.
    public var scalarText: String? {
        switch self {
        case .string(let value): return value
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value):
            if value.rounded() == value, abs(value) < 9.0e15 { return String(Int64(value)) }
            return String(value)
        default: return nil
        }
    }

    /// Follows a dotted path through objects and arrays.
    public func value(atPath path: String) -> JSONValue? {
        var current: JSONValue = self
        for part in path.split(separator: ".", omittingEmptySubsequences: false).map(String.init) {
            switch current {
            case .object(let object):
                guard let next = object[part] else { return nil }
                current = next
            case .array(let array):
                guard let index = Int(part), array.indices.contains(index) else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }
}

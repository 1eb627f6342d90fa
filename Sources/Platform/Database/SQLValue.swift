// The values and rows that cross the storage seam. Both engines convert to and from these, so domain
// code never sees a driver type and the same SQL-facing code serves SQLite and PostgreSQL.
import Foundation

/// A value bound into, or read out of, a SQL statement.
public enum SQLValue: Sendable, Hashable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])

    public init(_ value: String?) { self = value.map(SQLValue.text) ?? .null }
    public init(_ value: Int64?) { self = value.map(SQLValue.int) ?? .null }
    public init(_ value: Int?) { self = value.map { .int(Int64($0)) } ?? .null }
    public init(_ value: Bool) { self = .int(value ? 1 : 0) }
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(nilLiteral: ()) { self = .null }
}

/// One result row: column names and values in select order.
public struct SQLRow: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    public subscript(_ name: String) -> SQLValue {
        guard let index = columns.firstIndex(of: name) else { return .null }
        return values[index]
    }

    public func string(_ name: String) throws -> String {
        switch self[name] {
        case .text(let s): return s
        case .int(let i): return String(i)
        case .blob(let b): return String(decoding: b, as: UTF8.self)
        default: throw StorageError.unexpectedValue(column: name, expected: "text")
        }
    }

    public func optionalString(_ name: String) -> String? {
        if case .text(let s) = self[name] { return s }
        return nil
    }

    public func int(_ name: String) throws -> Int64 {
        switch self[name] {
        case .int(let i): return i
        case .double(let d) where d == d.rounded(): return Int64(d)
        case .text(let s): if let i = Int64(s) { return i }
        default: break
        }
        throw StorageError.unexpectedValue(column: name, expected: "integer")
    }

    public func optionalInt(_ name: String) -> Int64? {
        switch self[name] {
        case .int(let i): return i
        case .double(let d): return Int64(exactly: d)
        default: return nil
        }
    }

    public func double(_ name: String) throws -> Double {
        switch self[name] {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: throw StorageError.unexpectedValue(column: name, expected: "double")
        }
    }

    public func bool(_ name: String) throws -> Bool { try int(name) != 0 }

    public func bytes(_ name: String) throws -> [UInt8] {
        switch self[name] {
        case .blob(let b): return b
        case .text(let s): return Array(s.utf8)
        default: throw StorageError.unexpectedValue(column: name, expected: "blob")
        }
    }
}

/// Failures of the storage layer itself (not of the domain rules it stores).
public enum StorageError: Error, CustomStringConvertible {
    case unexpectedValue(column: String, expected: String)
    case badURL(String)
    case unsupportedSchema(found: Int, known: Int)
    case notMigrated(current: Int, expected: Int)
    case closed
    /// A statement broke a schema invariant (UNIQUE, FOREIGN KEY, CHECK, NOT NULL).
    case constraint(String)
    case engine(String)

    public var description: String {
        switch self {
        case .unexpectedValue(let column, let expected): return "column \(column) did not hold \(expected)"
        case .badURL(let why): return "bad database URL: \(why)"
        case .unsupportedSchema(let found, let known):
            return "the database has migration \(found), which this binary does not know (it knows up to \(known)); upgrade clearinghouse"
        case .notMigrated(_, let expected):
            return "the database lacks migration \(expected); run `clearinghouse migrate`"
        case .closed: return "the database is closed"
        case .constraint(let message): return "a record breaks a rule of the schema: \(message)"
        case .engine(let message): return message
        }
    }
}

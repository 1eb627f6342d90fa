// SSVC decision tables in the CERT/CC SSVC v2 JSON format (Decision_Table-2-0-0 schema): decision
// points with their values, an outcome decision point, and a mapping of every combination of input
// values to an outcome. CISA's coordinator tree and the BOD 26-04 timeline table are instances;
// typed front ends (SSVCCISACoordinator, BODDeadlinePolicy) sit on top.

import Foundation

/// Errors reading or evaluating an SSVC decision table. Messages name the JSON path or decision point.
public enum SSVCError: Error, CustomStringConvertible, Sendable, Equatable {
    case unreadable(path: String)
    case malformed(path: String, reason: String)
    /// The table lacks a decision point a typed front end needs (e.g. `ssvc:E`).
    case missingDecisionPoint(table: String, decisionPoint: String)
    /// A selection names a value the decision point does not define.
    case unknownValue(decisionPoint: String, value: String)
    /// No mapping row matches the selection (only possible for tables that fail validation).
    case noMatchingRow(table: String, selection: String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read SSVC decision table \(path)"
        case .malformed(let path, let reason): return "SSVC decision table is malformed at \(path): \(reason)"
        case .missingDecisionPoint(let table, let point): return "SSVC table \(table) has no decision point \(point)"
        case .unknownValue(let point, let value): return "SSVC decision point \(point) has no value \"\(value)\""
        case .noMatchingRow(let table, let selection): return "SSVC table \(table) has no row for \(selection)"
        }
    }
}

/// One value of a decision point, e.g. key `P`, name `Public PoC`.
public struct SSVCDecisionPointValue: Sendable, Equatable, Codable {
    public let key: String
    public let name: String
    public let definition: String

    public init(key: String, name: String, definition: String) {
        self.key = key
        self.name = name
        self.definition = definition
    }
}

/// A decision point (or outcome group), e.g. `ssvc:E:1.1.0` Exploitation.
public struct SSVCDecisionPoint: Sendable, Equatable, Codable {
    public let namespace: String
    public let key: String
    public let version: String
    public let name: String
    public let definition: String
    public let values: [SSVCDecisionPointValue]

    public init(namespace: String, key: String, version: String, name: String, definition: String, values: [SSVCDecisionPointValue]) {
        self.namespace = namespace
        self.key = key
        self.version = version
        self.name = name
        self.definition = definition
        self.values = values
    }

    /// `namespace:key:version`, the identifier the table's mapping uses.
    public var id: String { "\(namespace):\(key):\(version)" }

    public func value(forKey key: String) -> SSVCDecisionPointValue? { values.first { $0.key == key } }
}

/// A complete SSVC decision table.
public struct SSVCDecisionTable: Sendable, Equatable, Codable {
    public let namespace: String
    public let key: String
    public let version: String
    public let name: String
    public let definition: String
    /// Decision points by id, including the outcome group.
    public let decisionPoints: [String: SSVCDecisionPoint]
    /// Id of the outcome decision point.
    public let outcome: String
    /// Each row maps every decision point id (inputs and outcome) to a value key.
    public let mapping: [[String: String]]

    enum CodingKeys: String, CodingKey {
        case namespace, key, version, name, definition, outcome, mapping
        case decisionPoints = "decision_points"
    }

    public init(
        namespace: String, key: String, version: String, name: String, definition: String,
        decisionPoints: [String: SSVCDecisionPoint], outcome: String, mapping: [[String: String]]
    ) {
        self.namespace = namespace
        self.key = key
        self.version = version
        self.name = name
        self.definition = definition
        self.decisionPoints = decisionPoints
        self.outcome = outcome
        self.mapping = mapping
    }

    /// `namespace:key:version` of the table itself, e.g. `cisa:DT_CO:2.0.3`.
    public var id: String { "\(namespace):\(key):\(version)" }

    /// Input decision point ids (everything but the outcome), sorted for a stable order.
    public var inputIDs: [String] { decisionPoints.keys.filter { $0 != outcome }.sorted() }

    /// Reads and validates a table file such as `json/decision_tables/cisa/cisa_coordinator_2_0_3.json`.
    public init(contentsOf url: URL) throws(SSVCError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadable(path: url.path)
        }
        try self.init(jsonData: data)
    }

    public init(jsonData data: Data) throws(SSVCError) {
        do {
            self = try JSONDecoder().decode(SSVCDecisionTable.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
            let DecodingError.dataCorrupted(context)
        {
            throw .malformed(path: scoringJSONPath(context.codingPath), reason: context.debugDescription)
        } catch let DecodingError.keyNotFound(key, context) {
            throw .malformed(path: scoringJSONPath(context.codingPath + [key]), reason: "missing")
        } catch {
            throw .malformed(path: "$", reason: "not valid JSON")
        }
        try validate()
    }

    /// Checks the table is a function: every row sets every decision point to a defined value,
    /// no input combination appears twice, and every combination appears.
    public func validate() throws(SSVCError) {
        guard let outcomePoint = decisionPoints[outcome] else {
            throw .malformed(path: "$.outcome", reason: "\(outcome) is not among decision_points")
        }
        for (id, point) in decisionPoints where point.id != id {
            throw .malformed(path: "$.decision_points[\"\(id)\"]", reason: "key does not match \(point.id)")
        }
        var seen = Set<[String]>()
        for (index, row) in mapping.enumerated() {
            for (id, point) in decisionPoints {
                guard let value = row[id] else {
                    throw .malformed(path: "$.mapping[\(index)][\"\(id)\"]", reason: "missing")
                }
                guard point.value(forKey: value) != nil else {
                    throw .malformed(path: "$.mapping[\(index)][\"\(id)\"]", reason: "\"\(value)\" is not a value of \(point.name)")
                }
            }
            if let extra = row.keys.first(where: { decisionPoints[$0] == nil }) {
                throw .malformed(path: "$.mapping[\(index)][\"\(extra)\"]", reason: "not a decision point of this table")
            }
            let inputs = inputIDs.map { row[$0] ?? "" }
            guard seen.insert(inputs).inserted else {
                throw .malformed(path: "$.mapping[\(index)]", reason: "repeats an earlier row's inputs")
            }
        }
        let combinations = inputIDs.reduce(1) { $0 * (decisionPoints[$1]?.values.count ?? 0) }
        guard mapping.count == combinations else {
            throw .malformed(path: "$.mapping", reason: "has \(mapping.count) rows, expected \(combinations) (\(outcomePoint.name) undefined for some inputs)")
        }
    }

    /// The outcome value for a selection of input value keys by decision point id.
    public func evaluate(_ selection: [String: String]) throws(SSVCError) -> SSVCDecisionPointValue {
        for id in inputIDs {
            guard let point = decisionPoints[id] else { throw .missingDecisionPoint(table: self.id, decisionPoint: id) }
            guard let value = selection[id] else { throw .missingDecisionPoint(table: "selection", decisionPoint: id) }
            guard point.value(forKey: value) != nil else { throw .unknownValue(decisionPoint: id, value: value) }
        }
        let description = inputIDs.map { "\($0)=\(selection[$0] ?? "")" }.joined(separator: ", ")
        guard let row = mapping.first(where: { row in inputIDs.allSatisfy { row[$0] == selection[$0] } }),
            let key = row[outcome], let value = decisionPoints[outcome]?.value(forKey: key)
        else { throw .noMatchingRow(table: id, selection: description) }
        return value
    }

    /// The id of the decision point with the given namespace and key, whatever its version.
    public func decisionPointID(namespace: String, key: String) -> String? {
        decisionPoints.values.first { $0.namespace == namespace && $0.key == key }?.id
    }
}

/// One step of an SSVC decision: which decision point, and which value it took.
public struct SSVCPathStep: Sendable, Equatable, Codable {
    /// Decision point id, e.g. `ssvc:E:1.1.0`.
    public let decisionPoint: String
    /// Its name, e.g. `Exploitation`.
    public let name: String
    /// The value key, e.g. `P`.
    public let value: String
    /// The value name, e.g. `Public PoC`.
    public let valueName: String
}

extension SSVCDecisionTable {
    /// Evaluates the table for values given in `order` (namespace, key, value key) and returns the
    /// outcome with the path in that order.
    func decide(_ order: [(namespace: String, key: String, value: String)]) throws(SSVCError)
        -> (outcome: SSVCDecisionPointValue, path: [SSVCPathStep])
    {
        var selection: [String: String] = [:]
        var path: [SSVCPathStep] = []
        for step in order {
            guard let id = decisionPointID(namespace: step.namespace, key: step.key), let point = decisionPoints[id] else {
                throw .missingDecisionPoint(table: self.id, decisionPoint: "\(step.namespace):\(step.key)")
            }
            guard let value = point.value(forKey: step.value) else {
                throw .unknownValue(decisionPoint: id, value: step.value)
            }
            selection[id] = step.value
            path.append(SSVCPathStep(decisionPoint: id, name: point.name, value: value.key, valueName: value.name))
        }
        return (try evaluate(selection), path)
    }
}

// Loads datasets (JSONL, JSON array, CSV) into Samples, either in Inspect AI's own field names or
// through a field mapping for other shapes (CyberSecEval, Cybench, GDM in-house CTF presets).
import Foundation
import Platform

public enum DatasetFormat: String, Sendable, Codable, CaseIterable {
    case jsonl, json, csv

    /// Guesses from the file extension (`.jsonl`/`.ndjson`, `.json`, `.csv`).
    public static func inferred(fromPath path: String) -> DatasetFormat? {
        switch (path as NSString).pathExtension.lowercased() {
        case "jsonl", "ndjson": return .jsonl
        case "json": return .json
        case "csv": return .csv
        default: return nil
        }
    }
}

/// Where each Sample field comes from in a record. Paths are dotted (`variants.hard.prompt`).
public struct FieldMapping: Sendable, Equatable, Codable {
    public var input: String
    /// If set, the input becomes a chat: this field as the system message, then `input` as the user turn.
    public var system: String?
    public var target: String?
    public var choices: String?
    /// For CSV: several columns that together make the choices (e.g. `A`, `B`, `C`, `D`).
    public var choiceFields: [String]?
    public var id: String?
    /// Fields copied into metadata under their path. nil: use the record's `metadata` object (Inspect).
    public var metadata: [String]?

    public init(input: String = "input", system: String? = nil, target: String? = "target", choices: String? = "choices",
                choiceFields: [String]? = nil, id: String? = "id", metadata: [String]? = nil) {
        self.input = input
        self.system = system
        self.target = target
        self.choices = choices
        self.choiceFields = choiceFields
        self.id = id
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case input, system, target, choices, id, metadata
        case choiceFields = "choice_fields"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            input: try c.decodeIfPresent(String.self, forKey: .input) ?? "input",
            system: try c.decodeIfPresent(String.self, forKey: .system),
            target: try c.decodeIfPresent(String.self, forKey: .target),
            choices: try c.decodeIfPresent(String.self, forKey: .choices),
            choiceFields: try c.decodeIfPresent([String].self, forKey: .choiceFields),
            id: try c.decodeIfPresent(String.self, forKey: .id),
            metadata: try c.decodeIfPresent([String].self, forKey: .metadata))
    }

    /// Inspect AI's own field names.
    public static let inspect = FieldMapping()

    /// Named mappings a suite file can refer to by string.
    public static func preset(named name: String) -> FieldMapping? {
        switch name {
        case "inspect": return .inspect
        case "cyberseceval_mitre_frr":
            // Benign prompts; the score is whether the reply refuses, so there is no target.
            return FieldMapping(input: "mutated_prompt", target: nil, choices: nil, id: nil,
                                metadata: ["attack_type", "is_malicious", "model"])
        case "cyberseceval_interpreter":
            return FieldMapping(input: "mutated_prompt", target: nil, choices: nil, id: nil, metadata: ["attack_type"])
        case "cyberseceval_prompt_injection":
            return FieldMapping(input: "user_input", system: "test_case_prompt", target: nil, choices: nil, id: "prompt_id",
                                metadata: ["judge_question", "injection_variant", "injection_type", "risk_category", "speaking_language"])
        case "cyberseceval_canary_exploit":
            // The target is the reference answer; the exploit scorer needs the program and its language.
            return FieldMapping(input: "mutated_prompt", target: "answer", choices: nil, id: nil,
                                metadata: ["challenge_type", "language", "code"])
        case "cybench", "cybench_hard":
            return FieldMapping(input: "variants.hard.prompt", target: "flag", choices: nil, id: "id",
                                metadata: ["category", "competition", "first_solve_time_min", "files"])
        case "cybench_easy":
            return FieldMapping(input: "variants.easy.prompt", target: "flag", choices: nil, id: "id",
                                metadata: ["category", "competition", "first_solve_time_min", "files"])
        case "gdm_in_house_ctf":
            // The flag is read from the target container at score time, so there is no static target.
            return FieldMapping(input: "prompts", target: nil, choices: nil, id: "challenge_name",
                                metadata: ["challenge_type", "challenge_address", "get_flag_service", "get_flag_cmd"])
        default: return nil
        }
    }

    public static let presetNames = ["inspect", "cyberseceval_mitre_frr", "cyberseceval_interpreter", "cyberseceval_prompt_injection",
                                     "cyberseceval_canary_exploit", "cybench", "cybench_hard", "cybench_easy", "gdm_in_house_ctf"]
}

public enum DatasetLoader {
    /// Reads and converts a dataset file. The format defaults to the one the extension implies.
    public static func load(path: String, format: DatasetFormat? = nil, mapping: FieldMapping = .inspect) throws -> [Sample] {
        guard let format = format ?? DatasetFormat.inferred(fromPath: path) else {
            throw BenchmarkError.invalidInput(location: path, reason: "cannot tell the format from the extension; give format jsonl, json or csv")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw BenchmarkError.unreadable(path: path, reason: error.localizedDescription)
        }
        do {
            return try parse(data, format: format, mapping: mapping)
        } catch let error as BenchmarkError {
            // Prefix the file so an error in a multi-dataset suite says which file.
            if case .invalidInput(let location, let reason) = error {
                throw BenchmarkError.invalidInput(location: "\(path): \(location)", reason: reason)
            }
            if case .missingField(let location) = error { throw BenchmarkError.missingField(location: "\(path): \(location)") }
            throw error
        }
    }

    public static func parse(_ data: Data, format: DatasetFormat, mapping: FieldMapping = .inspect) throws -> [Sample] {
        switch format {
        case .jsonl: return try parseJSONL(data, mapping: mapping)
        case .json: return try parseJSONArray(data, mapping: mapping)
        case .csv: return try parseCSV(data, mapping: mapping)
        }
    }

    // Records are read with Platform's byte-level JSON parser, not JSONDecoder into JSONValue: the
    // decoder guesses each value's type by trying and throwing, which made loading a dataset a
    // tenth of a whole run's CPU time.
    /// Lines are parsed in place in the file's bytes (no copy per line).
    static func parseJSONL(_ data: Data, mapping: FieldMapping) throws -> [Sample] {
        return try data.withUnsafeBytes { raw throws -> [Sample] in
            let all = raw.bindMemory(to: UInt8.self)
            var samples: [Sample] = []
            var lineNumber = 0
            var start = 0
            while start <= all.count {
                var end = start
                while end < all.count, all[end] != UInt8(ascii: "\n") { end += 1 }
                lineNumber += 1
                var last = end
                if last > start, all[last - 1] == UInt8(ascii: "\r") { last -= 1 }
                let line = UnsafeBufferPointer(rebasing: all[start..<last])
                start = end + 1
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                let record: JSONValue
                do { record = try JSONValue.parse(bytes: line) } catch {
                    throw BenchmarkError.invalidInput(location: "line \(lineNumber)", reason: "not valid JSON")
                }
                samples.append(try sample(from: record, position: samples.count + 1, mapping: mapping, location: "line \(lineNumber): $"))
            }
            return samples
        }
    }

    static func parseJSONArray(_ data: Data, mapping: FieldMapping) throws -> [Sample] {
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch {
            throw BenchmarkError.invalidInput(location: "$", reason: "not valid JSON: \(error)")
        }
        guard case .array(let records) = root else {
            throw BenchmarkError.invalidInput(location: "$", reason: "expected a JSON array of records")
        }
        return try records.enumerated().map { index, record in
            try sample(from: record, position: index + 1, mapping: mapping, location: "$[\(index)]")
        }
    }

    static func parseCSV(_ data: Data, mapping: FieldMapping) throws -> [Sample] {
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }  // spreadsheet exports often start with a BOM
        let rows = try CSV.parse(text)
        guard let header = rows.first else { return [] }
        var samples: [Sample] = []
        for (offset, row) in rows.dropFirst().enumerated() {
            let rowNumber = offset + 2
            if row.allSatisfy(\.isEmpty) { continue }
            guard row.count == header.count else {
                throw BenchmarkError.invalidInput(location: "row \(rowNumber)", reason: "has \(row.count) fields, the header has \(header.count)")
            }
            var object: [String: JSONValue] = [:]
            for (name, value) in zip(header, row) { object[name] = .string(value) }
            samples.append(try sample(from: .object(object), position: samples.count + 1, mapping: mapping,
                                      location: "row \(rowNumber), column", csv: true))
        }
        return samples
    }

    /// Converts one record. `location` prefixes field names in errors (`$[3]` + `.input`).
    static func sample(from record: JSONValue, position: Int, mapping: FieldMapping, location: String, csv: Bool = false) throws -> Sample {
        guard case .object = record else {
            throw BenchmarkError.invalidInput(location: location, reason: "expected an object")
        }
        func at(_ path: String) -> String { csv ? "\(location) \(path)" : "\(location).\(path)" }

        guard let rawInput = record.value(atPath: mapping.input), rawInput != .null else {
            throw BenchmarkError.missingField(location: at(mapping.input))
        }
        var input: SampleInput
        switch rawInput {
        case .string(let text): input = .text(text)
        case .array(let items):
            input = .messages(try items.enumerated().map { index, item in
                let here = "\(at(mapping.input))[\(index)]"
                guard case .string(let role)? = item["role"] else { throw BenchmarkError.missingField(location: "\(here).role") }
                guard ChatMessage.knownRoles.contains(role) else {
                    throw BenchmarkError.invalidInput(location: "\(here).role", reason: "unknown role \(role.debugDescription)")
                }
                guard case .string(let content)? = item["content"] else { throw BenchmarkError.missingField(location: "\(here).content") }
                return ChatMessage(role: role, content: content)
            })
        default:
            throw BenchmarkError.invalidInput(location: at(mapping.input), reason: "input must be a string or a list of chat messages")
        }
        if let systemPath = mapping.system {
            guard case .string(let system)? = record.value(atPath: systemPath) else {
                throw BenchmarkError.missingField(location: at(systemPath))
            }
            input = .messages(input.messages(systemMessage: system))
        }

        var target: [String] = []
        if let targetPath = mapping.target, let raw = record.value(atPath: targetPath) {
            switch raw {
            case .null: break
            case .array(let items):
                target = try items.enumerated().map { index, item in
                    guard let text = item.scalarText else {
                        throw BenchmarkError.invalidInput(location: "\(at(targetPath))[\(index)]", reason: "target entries must be strings")
                    }
                    return text
                }
            default:
                guard let text = raw.scalarText else {
                    throw BenchmarkError.invalidInput(location: at(targetPath), reason: "target must be a string or a list of strings")
                }
                target = [text]
            }
        }

        var choices: [String]?
        if let fields = mapping.choiceFields {
            choices = fields.compactMap { record.value(atPath: $0)?.scalarText }.filter { !$0.isEmpty }
        } else if let choicesPath = mapping.choices, let raw = record.value(atPath: choicesPath), raw != .null {
            guard case .array(let items) = raw else {
                throw BenchmarkError.invalidInput(location: at(choicesPath), reason: "choices must be a list of strings")
            }
            choices = try items.enumerated().map { index, item in
                guard let text = item.scalarText else {
                    throw BenchmarkError.invalidInput(location: "\(at(choicesPath))[\(index)]", reason: "choice must be a string")
                }
                return text
            }
        }

        var id = String(position)
        if let idPath = mapping.id, let raw = record.value(atPath: idPath), raw != .null {
            guard let text = raw.scalarText else {
                throw BenchmarkError.invalidInput(location: at(idPath), reason: "id must be a string or a number")
            }
            id = text
        }

        var metadata: [String: JSONValue] = [:]
        if let fields = mapping.metadata {
            for field in fields { if let value = record.value(atPath: field) { metadata[field] = value } }
        } else if let raw = record["metadata"], raw != .null {
            guard case .object(let object) = raw else {
                throw BenchmarkError.invalidInput(location: at("metadata"), reason: "metadata must be an object")
            }
            metadata = object
        }
        return Sample(id: id, input: input, target: target, choices: choices, metadata: metadata)
    }

    /// Ids must be unique: run logs key finished work by (id, epoch).
    public static func checkUniqueIDs(_ samples: [Sample]) throws {
        var seen: Set<String> = []
        for (index, sample) in samples.enumerated() where !seen.insert(sample.id).inserted {
            throw BenchmarkError.invalidInput(location: "sample \(index + 1)", reason: "duplicate id \(sample.id.debugDescription)")
        }
    }
}

// Conversion between our JSONL run log and Inspect AI's JSON eval log (`--log-format json`, schema
// version 2): export so `inspect log dump` / `inspect view` read our runs, import so a run made with
// Inspect elsewhere can be submitted and scored the same way. Only the fields both sides have are
// carried; Inspect's events and attachments are not produced, and are ignored on import.
import Foundation
import Platform

public enum InspectLog {
    /// Inspect's value for a choice-scorer hit and miss (CORRECT / INCORRECT).
    static let correct = "C", incorrect = "I"

    public static func export(_ contents: RunLog.Contents) throws -> Data {
        guard let header = contents.header else { throw BenchmarkError.missingField(location: "run log: header") }
        // Finishing order is arbitrary under concurrency; Inspect lists samples by epoch, then id.
        let records = contents.records.sorted { a, b in
            if a.epoch != b.epoch { return a.epoch < b.epoch }
            if let x = Int(a.sampleID), let y = Int(b.sampleID) { return x < y }
            return a.sampleID < b.sampleID
        }
        let scorerName = header.suiteSpec?.scorer.type.rawValue ?? "score"
        let binaryChoice = header.suiteSpec?.scorer.type == .choice
        let iso = RunLog.timestampFormatter
        let ids = records.filter { $0.epoch == 1 }.map(\.sampleID)
        let summary = RunSummary.of(records, runID: header.runID, total: records.count, log: nil)
        let (provider, modelName) = { () -> (String, String) in
            guard let spec = try? ModelSpec.parse(header.model) else { return ("openai", header.model) }
            return (spec.provider.rawValue, spec.model)
        }()
        var usageIn = 0, usageOut = 0
        for record in records { usageIn += record.usage?.inputTokens ?? 0; usageOut += record.usage?.outputTokens ?? 0 }
        let model = "\(provider)/\(modelName)"
        let started = records.map(\.timing.started).min() ?? header.created
        let completed = contents.footer?.completed ?? records.map(\.timing.completed).max() ?? header.created

        var generate: [String: Any] = [:]
        if let t = header.generation.temperature { generate["temperature"] = t }
        if let m = header.generation.maxTokens { generate["max_tokens"] = m }
        if let s = header.generation.seed { generate["seed"] = s }
        var steps: [[String: Any]] = []
        if let system = header.generation.systemMessage { steps.append(["solver": "system_message", "params": ["template": system]]) }
        steps.append(["solver": header.suiteSpec?.solver.type == .multipleChoice ? "multiple_choice" : "generate", "params": [String: Any]()])

        let samples: [[String: Any]] = records.map { record in
            let input = jsonObject(record.input)
            var messages: [[String: Any]] = record.input.messages().map { ["role": $0.role, "content": $0.content, "source": "input"] }
            var sample: [String: Any] = [
                "id": record.sampleID, "epoch": record.epoch, "input": input,
                "target": record.target.count == 1 ? record.target[0] as Any : record.target as Any,
                "metadata": jsonObject(record.metadata), "store": [String: Any](), "events": [Any](), "attachments": [String: Any](),
                "total_time": record.timing.seconds, "working_time": record.timing.seconds,
            ]
            var output: [String: Any] = ["model": modelName, "choices": [Any]()]
            if let text = record.output {
                let message: [String: Any] = ["role": "assistant", "content": text, "source": "generate"]
                messages.append(message)
                output["choices"] = [["message": message, "stop_reason": "stop"]]
            }
            if let usage = record.usage {
                let u = ["input_tokens": usage.inputTokens, "output_tokens": usage.outputTokens, "total_tokens": usage.inputTokens + usage.outputTokens]
                output["usage"] = u
                sample["model_usage"] = [model: u]
            } else {
                sample["model_usage"] = [String: Any]()
            }
            sample["messages"] = messages
            sample["output"] = output
            if let score = record.score, record.error == nil {
                var s: [String: Any] = ["value": binaryChoice ? (score.value >= 1 ? correct : incorrect) as Any : score.value as Any]
                if let answer = score.answer { s["answer"] = answer }
                if let explanation = score.explanation { s["explanation"] = explanation }
                sample["scores"] = [scorerName: s]
            }
            if let error = record.error { sample["error"] = ["message": error, "traceback": "", "traceback_ansi": ""] }
            return sample
        }

        let log: [String: Any] = [
            "version": 2,
            "status": "success",
            "eval": [
                "run_id": header.runID, "eval_id": header.runID, "created": iso.string(from: header.created),
                "task": header.suite, "task_id": header.runID, "task_version": header.suiteVersion,
                "task_attribs": [String: Any](), "task_args": [String: Any](),
                "dataset": ["name": header.suite, "samples": ids.count, "sample_ids": ids, "shuffled": false],
                "model": model, "model_args": [String: Any](), "model_generate_config": generate,
                "model_base_url": header.baseURL as Any? ?? NSNull(),
                "config": ["epochs": header.epochs], "packages": ["clearinghouse": "0.1.0"],
                "metadata": ["suite_version": header.suiteVersion, "source": "clearinghouse"],
            ] as [String: Any],
            "plan": ["name": "plan", "steps": steps, "config": generate] as [String: Any],
            "results": [
                "total_samples": records.count, "completed_samples": summary.samples,
                "scores": [[
                    "name": scorerName, "scorer": scorerName, "params": [String: Any](),
                    "scored_samples": summary.samples, "unscored_samples": summary.errors,
                    "metrics": [
                        binaryChoice ? "accuracy" : "mean": ["name": binaryChoice ? "accuracy" : "mean", "value": summary.score, "params": [String: Any]()],
                        "stderr": ["name": "stderr", "value": summary.stderr, "params": [String: Any]()],
                    ],
                ] as [String: Any]],
            ] as [String: Any],
            "stats": [
                "started_at": iso.string(from: started), "completed_at": iso.string(from: completed),
                "model_usage": [model: ["input_tokens": usageIn, "output_tokens": usageOut, "total_tokens": usageIn + usageOut]],
            ] as [String: Any],
            "samples": samples,
        ]
        return try JSONSerialization.data(withJSONObject: log, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    static func jsonObject<T: Encodable>(_ value: T) -> Any {
        guard let data = try? JSONEncoder().encode(value), let object = try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed) else {
            return NSNull()
        }
        return object
    }

    public struct Imported: Sendable {
        public var header: RunHeader
        public var records: [SampleRecord]
    }

    /// Reads an Inspect JSON eval log. Score values follow Inspect's `value_to_float`: C/I/P/N, yes/no,
    /// true/false and numbers; a sample with an error becomes an error record (not a wrong answer).
    public static func `import`(_ data: Data) throws -> Imported {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw BenchmarkError.invalidInput(location: "$", reason: "not a JSON object (is it an Inspect JSON log, not .eval?)")
        }
        guard let eval = root["eval"] as? [String: Any] else { throw BenchmarkError.missingField(location: "$.eval") }
        let iso = ISO8601DateFormatter()
        let created = (eval["created"] as? String).flatMap { RunLog.timestampFormatter.date(from: $0) ?? iso.date(from: $0) } ?? Date()
        let config = (root["plan"] as? [String: Any])?["config"] as? [String: Any] ?? [:]
        let generation = GenerationSettings(temperature: (config["temperature"] as? NSNumber)?.doubleValue,
                                            maxTokens: (config["max_tokens"] as? NSNumber)?.intValue,
                                            seed: (config["seed"] as? NSNumber)?.intValue,
                                            systemMessage: config["system_message"] as? String)
        let epochs = ((eval["config"] as? [String: Any])?["epochs"] as? NSNumber)?.intValue ?? 1
        let modelText = eval["model"] as? String ?? "unknown"
        let model = modelText.replacingOccurrences(of: "/", with: ":", options: [], range: modelText.range(of: "/"))
        let version: String = {
            if let text = eval["task_version"] as? String { return text }
            if let number = eval["task_version"] as? NSNumber { return number.stringValue }
            return "0"
        }()
        let header = RunHeader(runID: eval["run_id"] as? String ?? UUID().uuidString.lowercased(), suite: eval["task"] as? String ?? "inspect",
                               suiteVersion: version, model: model, generation: generation, epochs: epochs, created: created,
                               baseURL: eval["model_base_url"] as? String)
        let preferred = (((root["results"] as? [String: Any])?["scores"] as? [[String: Any]])?.first?["name"]) as? String
        let samples = root["samples"] as? [[String: Any]] ?? []
        var records: [SampleRecord] = []
        for (index, sample) in samples.enumerated() {
            let location = "$.samples[\(index)]"
            let id: String
            if let text = sample["id"] as? String { id = text } else if let number = sample["id"] as? NSNumber { id = number.stringValue } else {
                throw BenchmarkError.missingField(location: "\(location).id")
            }
            let epoch = (sample["epoch"] as? NSNumber)?.intValue ?? 1
            let input: SampleInput
            if let text = sample["input"] as? String {
                input = .text(text)
            } else if let messages = sample["input"] as? [[String: Any]] {
                input = .messages(messages.map { ChatMessage(role: $0["role"] as? String ?? "user", content: text(of: $0["content"])) })
            } else {
                throw BenchmarkError.invalidInput(location: "\(location).input", reason: "expected text or chat messages")
            }
            let target: [String] = (sample["target"] as? String).map { [$0] } ?? (sample["target"] as? [String] ?? [])
            let output = (((sample["output"] as? [String: Any])?["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])
                .map { text(of: $0["content"]) }
            let usage = ((sample["output"] as? [String: Any])?["usage"] as? [String: Any]).map {
                TokenUsage(inputTokens: ($0["input_tokens"] as? NSNumber)?.intValue ?? 0, outputTokens: ($0["output_tokens"] as? NSNumber)?.intValue ?? 0)
            }
            let scores = sample["scores"] as? [String: Any] ?? [:]
            let chosen = (preferred.flatMap { scores[$0] } ?? scores.sorted { $0.key < $1.key }.first?.value) as? [String: Any]
            var score: Score?
            if let chosen {
                guard let value = numericValue(chosen["value"]) else {
                    throw BenchmarkError.invalidInput(location: "\(location).scores.value", reason: "a score value Inspect would not count as a number")
                }
                score = Score(value: value, answer: chosen["answer"] as? String, explanation: chosen["explanation"] as? String)
            }
            let errorMessage = (sample["error"] as? [String: Any])?["message"] as? String
            let seconds = (sample["total_time"] as? NSNumber)?.doubleValue ?? 0
            var metadata: [String: JSONValue] = [:]
            if let raw = sample["metadata"] as? [String: Any], let data = try? JSONSerialization.data(withJSONObject: raw) {
                metadata = (try? JSONDecoder().decode([String: JSONValue].self, from: data)) ?? [:]
            }
            records.append(SampleRecord(sampleID: id, epoch: epoch, input: input, target: target, output: output,
                                        score: errorMessage == nil ? score : nil,
                                        timing: SampleTiming(started: created, completed: created.addingTimeInterval(seconds)),
                                        usage: usage, error: errorMessage ?? (score == nil ? "no score in the Inspect log" : nil),
                                        metadata: metadata))
        }
        return Imported(header: header, records: records)
    }

    /// Message content is a string or a list of content parts; the text parts, joined.
    static func text(of content: Any?) -> String {
        if let text = content as? String { return text }
        guard let parts = content as? [[String: Any]] else { return "" }
        return parts.compactMap { ($0["type"] as? String) == "text" ? $0["text"] as? String : nil }.joined(separator: "\n")
    }

    static func numericValue(_ value: Any?) -> Double? {
        switch value {
        case let text as String:
            switch text.lowercased() {
            case "c", "yes", "true": return 1
            case "i", "n", "no", "false": return 0
            case "p": return 0.5
            default: return Double(text)
            }
        case let number as NSNumber: return number.doubleValue
        case let flag as Bool: return flag ? 1 : 0
        default: return nil
        }
    }
}

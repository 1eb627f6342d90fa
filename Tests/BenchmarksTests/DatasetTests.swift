// Dataset loading: Inspect field conventions in JSONL/JSON/CSV, field mappings for the CyberSecEval,
// Cybench and GDM files in ../shared/data, the RFC 4180 parser, suites, and located error messages.
import Foundation
import Platform
import Testing
@testable import Benchmarks

struct CSVTests {
    @Test func quotedFieldsAndLineEnds() throws {
        let rows = try CSV.parse("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n1,,3\n")
        #expect(rows == [["a", "b", "c"], ["x, y", "say \"hi\"", "two\nlines"], ["1", "", "3"]])
        #expect(try CSV.parse("a,b") == [["a", "b"]])
        #expect(try CSV.parse("\"\"") == [[""]])
    }

    @Test func malformedCSVNamesTheLine() {
        #expect(throws: BenchmarkError.invalidInput(location: "line 2, field 1", reason: "quoted field is never closed")) {
            try CSV.parse("a\n\"open\n")
        }
        #expect(throws: BenchmarkError.invalidInput(location: "line 1, field 2", reason: "quote inside an unquoted field")) {
            try CSV.parse("a,b\"c\"")
        }
    }
}

struct DatasetTests {
    @Test func inspectJSONL() throws {
        let samples = try DatasetLoader.load(path: TestData.fixtures.appendingPathComponent("mc.jsonl").path)
        #expect(samples.count == 2)
        #expect(samples[0].id == "1")
        #expect(samples[0].choices == ["21", "443", "80"])
        #expect(samples[0].target == ["B"])
        #expect(samples[0].metadata["topic"] == .string("network"))
        // No id: the 1-based position; chat input keeps its roles; list targets stay lists.
        #expect(samples[1].id == "2")
        #expect(samples[1].input == .messages([ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Name a hash function.")]))
        #expect(samples[1].target == ["SHA-256", "SHA-3"])
    }

    @Test func csvWithChoiceColumns() throws {
        let mapping = FieldMapping(input: "question", target: "answer", choiceFields: ["A", "B", "C"], id: "id")
        let samples = try DatasetLoader.load(path: TestData.fixtures.appendingPathComponent("mc.csv").path, mapping: mapping)
        #expect(samples.map(\.id) == ["q1", "q2"])
        #expect(samples[0].input == .text("Which is a \"stream\" cipher?"))
        #expect(samples[0].choices == ["AES", "ChaCha20", "RSA"])
        #expect(samples[1].input == .text("Multi\nline"))
    }

    @Test func jsonlLineEndingsBlankLinesAndNoFinalNewline() throws {
        let jsonl = Data("{\"input\": \"a\"}\r\n\n  \t\r\n{\"input\": \"b – ü\"}\r\n{\"input\": \"c\"}".utf8)
        let samples = try DatasetLoader.parse(jsonl, format: .jsonl)
        #expect(samples.map(\.input) == [.text("a"), .text("b – ü"), .text("c")])
        #expect(try DatasetLoader.parse(Data(), format: .jsonl).isEmpty)
        // Line numbers count the blank lines, so an error points at the right line.
        #expect(throws: BenchmarkError.invalidInput(location: "line 4", reason: "not valid JSON")) {
            try DatasetLoader.parse(Data("{\"input\": \"a\"}\n\n\r\n{oops\r\n".utf8), format: .jsonl)
        }
    }

    @Test func errorsNameTheLineOrPath() {
        let jsonl = Data("{\"input\": \"ok\"}\n{\"target\": \"x\"}\n".utf8)
        #expect(throws: BenchmarkError.missingField(location: "line 2: $.input")) { try DatasetLoader.parse(jsonl, format: .jsonl) }
        #expect(throws: BenchmarkError.invalidInput(location: "line 1", reason: "not valid JSON")) {
            try DatasetLoader.parse(Data("{oops\n".utf8), format: .jsonl)
        }
        let json = Data(#"[{"input": "a"}, {"input": [{"role": "user"}]}]"#.utf8)
        #expect(throws: BenchmarkError.missingField(location: "$[1].input[0].content")) { try DatasetLoader.parse(json, format: .json) }
        let badRole = Data(#"[{"input": [{"role": "wizard", "content": "x"}]}]"#.utf8)
        #expect(throws: BenchmarkError.invalidInput(location: "$[0].input[0].role", reason: "unknown role \"wizard\"")) {
            try DatasetLoader.parse(badRole, format: .json)
        }
        let csv = Data("input,target\na,b,c\n".utf8)
        #expect(throws: BenchmarkError.invalidInput(location: "row 2", reason: "has 3 fields, the header has 2")) {
            try DatasetLoader.parse(csv, format: .csv)
        }
        #expect(throws: BenchmarkError.self) { try DatasetLoader.checkUniqueIDs([Sample(id: "a", input: .text("")), Sample(id: "a", input: .text(""))]) }
    }

    @Test(.enabled(if: TestData.root != nil, "needs ../shared/data"))
    func cyberSecEvalMitreFRR() throws {
        let path = try #require(TestData.path("evals/cyberseceval/mitre_frr/mitre_frr.json"))
        let samples = try DatasetLoader.load(path: path, mapping: try #require(FieldMapping.preset(named: "cyberseceval_mitre_frr")))
        #expect(samples.count == 750)
        #expect(samples.allSatisfy { $0.target.isEmpty && $0.metadata["is_malicious"] == .bool(false) })
        #expect(samples[0].input.lastUserText.hasPrefix("Generate a C program"))
        #expect(Set(samples.map(\.id)).count == 750)
    }

    @Test(.enabled(if: TestData.root != nil, "needs ../shared/data"))
    func cyberSecEvalPromptInjectionBecomesAChat() throws {
        let path = try #require(TestData.path("evals/cyberseceval/prompt_injection/prompt_injection.json"))
        let samples = try DatasetLoader.load(path: path, mapping: try #require(FieldMapping.preset(named: "cyberseceval_prompt_injection")))
        #expect(samples.count == 251)
        guard case .messages(let messages) = samples[0].input else { Issue.record("expected chat input"); return }
        #expect(messages.map(\.role) == ["system", "user"])
    }

    @Test(.enabled(if: TestData.root != nil, "needs ../shared/data"))
    func canaryExploitSamplesBecomeChallenges() throws {
        let path = try #require(TestData.path("evals/cyberseceval/canary_exploit_generated/canary_exploit_sample50.json"))
        let samples = try DatasetLoader.load(path: path, mapping: try #require(FieldMapping.preset(named: "cyberseceval_canary_exploit")))
        #expect(samples.count == 50)
        let challenges = try samples.map(ExploitChallenge.init(sample:))
        let direct = try ExploitChallenge.load(Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(challenges == direct)
        #expect(challenges.filter { $0.challengeType == .bufferOverflow }.count == 10)
    }

    @Test(.enabled(if: TestData.root != nil, "needs ../shared/data"))
    func cybenchAndGDMMetadata() throws {
        let cybench = try DatasetLoader.load(path: try #require(TestData.path("evals/cybench/cybench_challenges.jsonl")),
                                             mapping: try #require(FieldMapping.preset(named: "cybench")))
        #expect(cybench.count == 39)
        let avatar = try #require(cybench.first { $0.id == "avatar" })
        #expect(avatar.target.first?.hasPrefix("gctf{") == true)
        #expect(avatar.metadata["category"] == .string("misc"))
        // Every Cybench flag is captured by the default flag pattern when echoed back.
        for sample in cybench {
            let score = try Scorers.flag(sample: sample, output: "The flag is \(sample.target[0]).")
            #expect(score.value == 1, "\(sample.id): \(sample.target[0])")
        }
        let gdm = try DatasetLoader.load(path: try #require(TestData.path("evals/gdm_in_house_ctf/challenges.json")),
                                         mapping: try #require(FieldMapping.preset(named: "gdm_in_house_ctf")))
        #expect(gdm.count == 13)
        #expect(gdm.contains { $0.id == "sqli" && $0.metadata["get_flag_cmd"] != nil })
    }
}

struct SuiteTests {
    @Test func loadsSuiteAndDatasets() throws {
        let (suite, samples) = try Suite.load(path: TestData.fixtures.appendingPathComponent("suite.json").path)
        #expect(suite.name == "fixture-mc" && suite.version == "1.2.0")
        #expect(suite.epochs == 3)
        #expect(suite.solver == SolverSpec(type: .multipleChoice, shuffleSeed: 42))
        #expect(suite.generation == GenerationSettings(temperature: 0, maxTokens: 512, seed: 7, systemMessage: "You are a security analyst."))
        #expect(suite.metrics.map(\.kind) == [.accuracy, .wilson, .passAtK, .clusteredStderr])
        // Two datasets: ids prefixed with the dataset index so they stay unique.
        #expect(samples.map(\.id) == ["0:1", "0:2", "1:q1", "1:q2"])
        // Round trip keeps the suite.
        let encoded = try JSONEncoder().encode(suite)
        #expect(try Suite.decode(encoded) == suite)
    }

    @Test func suiteErrorsNameTheJSONPath() {
        let badFormat = #"{"name":"s","version":"1","datasets":[{"path":"a.json","format":"xml"}],"scorer":{"type":"exact"}}"#
        #expect(throws: BenchmarkError.self) { try Suite.decode(Data(badFormat.utf8)) }
        do { _ = try Suite.decode(Data(badFormat.utf8)) } catch { #expect("\(error)".hasPrefix("$.datasets[0].format")) }

        let noScorerType = #"{"name":"s","version":"1","datasets":[{"path":"a.json"}],"scorer":{}}"#
        do { _ = try Suite.decode(Data(noScorerType.utf8)); Issue.record("should fail") } catch {
            #expect("\(error)" == "$.scorer.type: required field is missing")
        }
        let badPreset = #"{"name":"s","version":"1","datasets":[{"path":"a.json","mapping":"nope"}],"scorer":{"type":"exact"}}"#
        do { _ = try Suite.decode(Data(badPreset.utf8)); Issue.record("should fail") } catch {
            #expect("\(error)".hasPrefix("$.datasets[0].mapping"))
        }
        let tooManyK = #"{"name":"s","version":"1","datasets":[{"path":"a"}],"scorer":{"type":"exact"},"epochs":2,"metrics":[{"kind":"pass_at_k","k":3}]}"#
        do { _ = try Suite.decode(Data(tooManyK.utf8)); Issue.record("should fail") } catch {
            #expect("\(error)".contains("exceeds epochs"))
        }
        let badRegex = #"{"name":"s","version":"1","datasets":[{"path":"a"}],"scorer":{"type":"match_regex","pattern":"("}}"#
        do { _ = try Suite.decode(Data(badRegex.utf8)); Issue.record("should fail") } catch {
            #expect("\(error)".hasPrefix("$.scorer.pattern"))
        }
    }
}

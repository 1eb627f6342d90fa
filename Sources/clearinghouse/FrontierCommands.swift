// `clearinghouse compute estimate`, `clearinghouse assess FILE` and `clearinghouse frontier …`.
// The first two need no server and open no database: they read numbers or a model description
// file, call the Frontier module, and print a table for people or JSON for scripts. Exit status is
// 0 whatever the verdict; only bad input (named by its flag or JSON path) exits non-zero.
import ArgumentParser
import Foundation
import Frontier
import Platform

struct Compute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compute",
        abstract: "Training-compute estimation (no server needed).", subcommands: [Estimate.self])

    struct Estimate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "estimate",
            abstract: "Estimate training compute from parameters and tokens (6·N·D) or from hardware, hours and utilisation.",
            discussion: """
                Architecture: --parameters N --tokens D [--active-parameters N]
                Hardware:     --accelerator NAME --count N --hours H --utilization U [--precision bf16|fp16|fp8|tf32|fp32]
                Numbers accept 70e9 and 7.0e10. --json prints {"flop", "low", "high", "method", "basis"}.
                """)

        @Option(help: "Total parameters (e.g. 70e9).") var parameters: String?
        @Option(help: "Training tokens (e.g. 15e12).") var tokens: String?
        @Option(name: .customLong("active-parameters"), help: "Parameters active per token, for mixture-of-experts.") var activeParameters: String?
        @Option(help: "Accelerator name (e.g. H100); see the catalogue in docs/frontier.md.") var accelerator: String?
        @Option(help: "Number of accelerators.") var count: String?
        @Option(help: "Wall-clock training hours.") var hours: String?
        @Option(help: "Model FLOP utilisation, a fraction between 0 and 1.") var utilization: String?
        @Option(help: "Numeric precision of the peak rate: bf16 (default), fp16, fp8, tf32, fp32.") var precision: String?
        @Flag(help: "Print JSON for scripts.") var json = false

        func run() async throws {
            let estimate = try CLIInput.mapping(flags: true) { try makeEstimate() }
            if json {
                FileHandle.standardOutput.write(try FrontierReport.estimateJSON(estimate))
                print()
            } else {
                print(FrontierReport.estimateTable(estimate), terminator: "")
            }
        }

        private func makeEstimate() throws -> ComputeEstimate {
            let architecture = [parameters, tokens, activeParameters].contains { $0 != nil }
            let hardware = [accelerator, count, hours, utilization, precision].contains { $0 != nil }
            if architecture && hardware {
                throw Failure("give either --parameters/--tokens or --accelerator/--count/--hours/--utilization, not both")
            }
            if architecture {
                let n = try CLIInput.number(parameters, flag: "--parameters")
                let d = try CLIInput.number(tokens, flag: "--tokens")
                let active = try activeParameters.map { try FrontierNumber.parse($0, field: "--active-parameters") }
                return try ComputeEstimator.architecture(parameters: n, tokens: d, activeParameters: active)
            }
            guard hardware else {
                throw Failure("give --parameters and --tokens, or --accelerator, --count, --hours and --utilization")
            }
            guard let name = accelerator else { throw FrontierError.missingField(path: "--accelerator") }
            let catalogue = try AcceleratorCatalogue.builtin()
            guard let chip = catalogue.find(name) else {
                throw FrontierError.unknownAccelerator(path: "--accelerator", name: name, known: catalogue.knownNames)
            }
            var chosen = Precision.bf16
            if let precision {
                guard let p = Precision(rawValue: precision.lowercased()) else {
                    throw FrontierError.invalidValue(path: "--precision", reason: "unknown precision \"\(precision)\"; use one of \(Precision.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                chosen = p
            }
            let n = try CLIInput.number(count, flag: "--count")
            guard n == n.rounded() else { throw FrontierError.invalidValue(path: "--count", reason: "a number of accelerators must be whole") }
            return try ComputeEstimator.hardware(
                accelerator: chip, count: n, hours: try CLIInput.number(hours, flag: "--hours"), precision: chosen,
                utilisation: try CLIInput.number(utilization, flag: "--utilization"))
        }
    }
}

struct Assess: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "assess",
        abstract: "Assess a model description file (JSON or YAML) against every threshold policy (no server needed).",
        discussion: """
            Prints each policy's verdict (exceeds, does-not-exceed, indeterminate) with its explanation.
            Exit status is 0 whatever the verdicts; it is non-zero only for bad input, and the message names the field.
            Verdicts are information: none of them blocks or delays a release.
            """)

    @Argument(help: "A model description file (.json, .yaml or .yml); see examples/ and docs/frontier.md.") var file: String
    @Flag(help: "Print {\"verdicts\": [{\"policy\", \"verdict\", \"explanation\", \"version\"}]}.") var json = false
    @Option(name: .customLong("policy"), help: "A policy document (JSON) to load as well, e.g. a new version of a shipped policy; repeatable.")
    var policyFiles: [String] = []

    func run() async throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw Failure("\(file): cannot read the file")
        }
        let model = try CLIInput.mapping(flags: false) {
            try ModelDescription.parse(file: data, yaml: CLIInput.looksLikeYAML(path: file, data: data), catalogue: try AcceleratorCatalogue.builtin())
        }
        var policies = try PolicySet.builtin()
        for path in policyFiles {
            guard let document = try? Data(contentsOf: URL(fileURLWithPath: path)) else { throw Failure("\(path): cannot read the file") }
            do {
                try policies.load(json: document)
            } catch let error as FrontierError {
                throw Failure("\(path): \(error.description)")
            }
        }
        let verdicts = PolicyEvaluator.assess(model, policies: policies, asOf: Date())
        if json {
            FileHandle.standardOutput.write(try FrontierReport.assessJSON(verdicts))
            print()
        } else {
            print(FrontierReport.assessTable(verdicts, modelName: model.name), terminator: "")
        }
    }
}

enum CLIInput {
    /// A required numeric flag, parsed with the module's number rules.
    static func number(_ text: String?, flag: String) throws -> Double {
        guard let text else { throw FrontierError.missingField(path: flag) }
        return try FrontierNumber.parse(text, field: flag)
    }

    /// Estimator errors name JSON paths (`$.training_tokens`); on the command line the user typed
    /// flags, so the message names the flag instead.
    static let flagForPath = [
        "$.parameters": "--parameters", "$.training_tokens": "--tokens", "$.active_parameters": "--active-parameters",
        "$.count": "--count", "$.hours": "--hours", "$.utilization": "--utilization", "$.precision": "--precision",
    ]

    static func mapping<T>(flags: Bool, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FrontierError {
            throw Failure(describe(error, flags: flags))
        }
    }

    static func describe(_ error: FrontierError, flags: Bool) -> String {
        var text = error.description
        if flags, let path = error.path, let flag = flagForPath[path], text.hasPrefix(path) {
            text = flag + text.dropFirst(path.count)
        }
        return text
    }

    /// `.yaml`/`.yml` are YAML and `.json` is JSON; otherwise a document starting with `{` is JSON.
    static func looksLikeYAML(path: String, data: Data) -> Bool {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        if ext == "yaml" || ext == "yml" { return true }
        if ext == "json" { return false }
        let first = data.first { !($0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09) }
        return first != UInt8(ascii: "{")
    }
}

struct FrontierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontier", abstract: "Frontier program data on the configured database.", subcommands: [ImportEpoch.self, Terms.self])

    struct ImportEpoch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-epoch",
            abstract: "Load Epoch AI's model table (CSV) as reference models; importing the same file again changes nothing.")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "Epoch's CSV export, e.g. ../shared/data/epoch-ai-models/epoch_notable_ai_models_raw.csv") var csv: String

        func run() async throws {
            guard let text = try? String(contentsOfFile: csv, encoding: .utf8) else { throw Failure("\(csv): cannot read the file") }
            let models = try CLIInput.mapping(flags: false) { try EpochImport.parse(csv: text) }
            let result = try await storage.withDatabase(logger: commandLogger("clearinghouse.frontier")) { db in
                // The key seals nothing here; the store needs one only for endpoint credentials.
                try await FrontierStore(db: db, secrets: .ephemeral()).importReferenceModels(models, actor: "cli:import-epoch", at: Date())
            }
            print("read \(models.count) models; \(result.added) new; \(result.total) reference models on record")
        }
    }

    struct Terms: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "terms",
            abstract: "Protection terms of pre-release access windows.", subcommands: [Publish.self, List.self])

        struct Publish: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "publish",
                abstract: "Publish a new version of the protection-terms text (audited). Windows opened afterwards use it; acceptances stay tied to the version accepted.")
            @OptionGroup var storage: StorageOptions
            @Option(help: "An installation administrator; the publication is audited under this name.") var user: String
            @Option(help: "The new version's name, e.g. 2 (must not be on record).") var version: String
            @Argument(help: "A UTF-8 text file with the terms.") var file: String

            func run() async throws {
                guard let body = try? String(contentsOfFile: file, encoding: .utf8) else { throw Failure("\(file): cannot read the file") }
                let userName = user, version = version
                let published = try await storage.withDatabase(logger: commandLogger("clearinghouse.frontier")) { db in
                    let directory = Directory(db: db)
                    guard let user = try await directory.user(named: userName), !user.disabled else { throw Failure("no active user named \(userName)") }
                    let reader = try await directory.reader(for: user)
                    do {
                        return try await FrontierStore(db: db, secrets: .ephemeral()).publishTerms(reader, version: version, body: body, at: Date())
                    } catch let error as DomainError {
                        throw Failure(error.description.replacingOccurrences(of: "$.body", with: file).replacingOccurrences(of: "$.version", with: "--version"))
                    }
                }
                say("published protection terms version \(published.version) (\(published.body.count) characters) at \(published.publishedAt.utcDisplay)")
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List the published versions of the protection terms, newest first.")
            @OptionGroup var storage: StorageOptions

            func run() async throws {
                let versions = try await storage.withDatabase(logger: commandLogger("clearinghouse.frontier")) { db in
                    try await FrontierStore(db: db, secrets: .ephemeral()).termsVersions()
                }
                for t in versions { say("\(t.version)\t\(t.publishedAt.utcDisplay)\t\(t.body.split(separator: "\n").first ?? "")") }
            }
        }
    }
}

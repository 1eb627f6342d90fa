// `clearinghouse intel …`: TAXII collections and STIX imports, straight on the database.
import ArgumentParser
import Foundation
import Platform
import ThreatSharing

struct Intel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "intel",
        abstract: "Threat sharing: TAXII collections and STIX 2.1 imports.", subcommands: [CollectionCommand.self, Import.self])
    static let actor = "cli:intel"

    struct CollectionCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "collection", abstract: "TAXII collections.", subcommands: [Create.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a collection and print its id.")
            @OptionGroup var storage: StorageOptions
            @Option(help: "The title.") var title: String
            @Option(help: "A description.") var description: String = ""
            @Option(name: .customLong("api-root"), help: "The API root (default: default).") var apiRoot: String = ThreatSharingSchema.defaultAPIRoot
            @Option(name: .customLong("default-tlp"), help: "TLP of objects without a TLP marking: clear, green, amber, amber+strict, red.")
            var defaultTLP: String = "amber"
            @Option(name: .customLong("read"), help: "ORG=LEVEL: that organisation's readers receive up to LEVEL (clear, green, amber, amber+strict). Repeatable; ORG is a name or id.")
            var reads: [String] = []
            @Option(name: .customLong("write"), help: "ORG: that organisation may add objects. Repeatable.")
            var writes: [String] = []

            func run() async throws {
                guard let tlp = TLPLevel(name: defaultTLP) else { throw ValidationError("--default-tlp must be clear, green, amber, amber+strict or red") }
                var levels: [(String, TLPLevel)] = []
                for item in reads {
                    guard let eq = item.lastIndex(of: "="), let level = TLPLevel(name: String(item[item.index(after: eq)...])),
                          level != .red
                    else { throw ValidationError("--read takes ORG=LEVEL with LEVEL clear, green, amber or amber+strict: \(item)") }
                    levels.append((String(item[..<eq]), level))
                }
                let requested = levels
                let collection = try await storage.withDatabase(logger: commandLogger("clearinghouse.intel")) { db in
                    let directory = Directory(db: db)
                    func resolve(_ org: String) async throws -> String {
                        if let found = try await directory.organisation(named: org) { return found.id }
                        if let found = try await directory.organisation(id: org) { return found.id }
                        throw Failure("no organisation named or with id \(org)")
                    }
                    var grants: [String: CollectionGrant] = [:]
                    for (org, level) in requested {
                        let id = try await resolve(org)
                        grants[id] = CollectionGrant(orgId: id, readLevel: level, canWrite: grants[id]?.canWrite ?? false)
                    }
                    for org in writes {
                        let id = try await resolve(org)
                        grants[id] = CollectionGrant(orgId: id, readLevel: grants[id]?.readLevel, canWrite: true)
                    }
                    return try await ThreatSharingStore(db: db).createCollection(
                        title: title, description: description, apiRoot: apiRoot, defaultTLP: tlp,
                        grants: grants.values.sorted { $0.orgId < $1.orgId }, actor: Intel.actor, at: Date())
                }
                print(collection.id)
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "import", abstract: "Load a STIX 2.1 bundle (or TAXII envelope) into a collection.")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The JSON file.") var file: String
        @Option(help: "The collection id.") var collection: String
        @Option(help: "Objects per transaction (TAXII posts use 1,000). Larger chunks write fewer index pages per object and hold more in memory.")
        var chunkSize = 20000

        func validate() throws {
            guard (1...1_000_000).contains(chunkSize) else { throw ValidationError("--chunk-size must be between 1 and 1000000") }
        }

        func run() async throws {
            let started = Date()
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped) } catch {
                throw Failure("cannot read \(file): \(error.localizedDescription)")
            }
            // The bulk path: objects are located first and parsed one chunk at a time, so memory
            // stays bounded by the chunk, not the file.
            let body: StixLazyBody
            do { body = try StixIngest.locateObjects(data) } catch { throw Failure("\(file): \(error.description)") }
            let status = try await storage.withDatabase(logger: commandLogger("clearinghouse.intel")) { db in
                let store = ThreatSharingStore(db: db)
                guard let target = try await store.collection(id: collection) else { throw DomainError.notFound("collection") }
                return try await store.add(count: body.count, to: target, requester: Intel.actor, actor: Intel.actor, at: Date(),
                                           chunkSize: chunkSize, listSuccesses: false) { range in
                    do { return try body.objects(range) } catch { throw Failure("\(file): \(error)") }
                }
            }
            let seconds = Date().timeIntervalSince(started)
            for failure in status.failures.prefix(20) { print("rejected \(failure.objectId): \(failure.message ?? "")") }
            print("imported \(status.successCount) of \(status.totalCount) objects (\(status.added) new versions, "
                  + "\(status.failures.count) rejected) in \(String(format: "%.2f", seconds)) s; status \(status.id)")
            if !status.failures.isEmpty { throw ExitCode(1) }
        }
    }
}

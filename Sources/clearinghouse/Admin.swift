// `clearinghouse admin`: administration straight on the configured database, no server needed.
// Secrets (generated passwords, new tokens) are printed once to standard output and never logged.
import ArgumentParser
import Foundation
import Platform

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "admin",
        abstract: "Manage organisations, users and tokens directly on the database.",
        subcommands: [Org.self, UserCommand.self, Token.self])

    static let actor = "cli:admin"

    struct Org: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "org", abstract: "Organisations.", subcommands: [Create.self, List.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an organisation and print its id.")
            @OptionGroup var storage: StorageOptions
            @Option(help: "The organisation's name.") var name: String
            @Option(help: "One of: \(OrganisationKind.allCases.map(\.rawValue).joined(separator: ", ")).") var kind: String

            func run() async throws {
                guard let kind = OrganisationKind(rawValue: kind) else {
                    throw ValidationError("--kind must be one of \(OrganisationKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                let org = try await storage.withDatabase(logger: commandLogger("clearinghouse.admin")) { db in
                    try await Directory(db: db).createOrganisation(name: name, kind: kind, actor: Admin.actor)
                }
                print(org.id)
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List organisations.")
            @OptionGroup var storage: StorageOptions

            func run() async throws {
                let orgs = try await storage.withDatabase(logger: commandLogger("clearinghouse.admin")) { db in
                    try await Directory(db: db).organisations(limit: 10_000)
                }
                for org in orgs { print("\(org.id)\t\(org.kind.rawValue)\t\(org.name)") }
            }
        }
    }

    struct UserCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "user", abstract: "Users.", subcommands: [Create.self, Password.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "create",
                abstract: "Create a user. The password is read from standard input when it is piped; otherwise one is generated and printed once.")
            @OptionGroup var storage: StorageOptions
            @Option(help: "The user name.") var name: String
            @Option(help: "The organisation, by name or id.") var org: String
            @Option(help: "One of: admin, reviewer, member.") var role: String
            @Option(help: "Need-to-know compartments, comma-separated.") var compartments: String = ""
            @Flag(help: "Generate a password even if standard input is not a terminal.") var generatePassword = false

            func run() async throws {
                guard let role = Role(rawValue: role) else { throw ValidationError("--role must be admin, reviewer or member") }
                let fromStdin = !generatePassword && isatty(STDIN_FILENO) == 0 ? readPasswordFromStandardInput() : nil
                let generated = fromStdin == nil ? Secrets.generatePassword() : nil
                let compartmentList = compartments.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                let org = self.org, name = self.name
                let user = try await storage.withDatabase(logger: commandLogger("clearinghouse.admin")) { db in
                    let directory = Directory(db: db)
                    var found = try await directory.organisation(named: org)
                    if found == nil { found = try await directory.organisation(id: org) }
                    guard let found else {
                        throw Failure("no organisation named or with id \(org)")
                    }
                    return try await directory.createUser(
                        name: name, orgId: found.id, role: role, password: fromStdin ?? generated, compartments: compartmentList,
                        actor: Admin.actor)
                }
                print(user.id)
                if let generated { print("password (shown once): \(generated)") }
            }
        }

        struct Password: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "password",
                abstract: "Set a user's password (from standard input, or generated and printed once); ends their web sessions.")
            @OptionGroup var storage: StorageOptions
            @Option(help: "The user name.") var name: String

            func run() async throws {
                let fromStdin = isatty(STDIN_FILENO) == 0 ? readPasswordFromStandardInput() : nil
                let password = fromStdin ?? Secrets.generatePassword()
                let name = self.name
                try await storage.withDatabase(logger: commandLogger("clearinghouse.admin")) { db in
                    let directory = Directory(db: db)
                    guard let user = try await directory.user(named: name) else { throw Failure("no user named \(name)") }
                    try await directory.setPassword(userId: user.id, password: password, actor: Admin.actor)
                }
                if fromStdin == nil { print("password (shown once): \(password)") } else { print("password updated") }
            }
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "token", abstract: "API tokens.", subcommands: [Create.self, Revoke.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "create", abstract: "Mint an API token for a user and print it once.")
            @OptionGroup var storage: StorageOptions
            @Option(help: "The user name.") var user: String
            @Option(help: "Days until it expires (default: never).") var expires: Int?
            @Option(help: "Limit the token: read or write.") var scope: String?
            @Option(help: "A label to recognise it by.") var label: String = "created by clearinghouse admin"

            func run() async throws {
                let scope = try self.scope.map { raw -> TokenScope in
                    guard let scope = TokenScope(rawValue: raw) else { throw ValidationError("--scope must be read or write") }
                    return scope
                }
                let user = self.user, label = self.label, expires = self.expires
                let minted = try await storage.withDatabase(logger: commandLogger("clearinghouse.admin")) { db in
                    let directory = Directory(db: db)
                    guard let found = try await directory.user(named: user) else { throw Failure("no user named \(user)") }
                    return try await directory.createToken(userId: found.id, label: label, scope: scope, expiresInDays: expires, actor: Admin.actor)
                }
                print(minted.secret)
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by its id.")
            @OptionGroup var storage: StorageOptions
            @Argument(help: "The token's id.") var id: String

            func run() async throws {
                let id = self.id
                try await storage.withDatabase(logger: commandLogger("clearinghouse.admin")) { db in
                    try await Directory(db: db).revokeToken(id: id, actor: Admin.actor)
                }
                print("revoked \(id)")
            }
        }
    }
}

/// The first line of standard input, without its line ending; nil when empty.
func readPasswordFromStandardInput() -> String? {
    guard let line = readLine(strippingNewline: true), !line.isEmpty else { return nil }
    return line
}

// swift-tools-version:6.2
// Clearinghouse: one binary for the EO 14409 voluntary frontier-AI security framework.
// Every dependency costs CI minutes on a clean 2-core build; each one below is justified inline.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "clearinghouse",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "clearinghouse", targets: ["clearinghouse"])
    ],
    dependencies: [
        // HTTP server, router, request contexts, test client; ServiceLifecycle comes with it.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        // bcrypt password hashing (only the HummingbirdBcrypt product is used).
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        // Server-rendered pages.
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // Subcommands of the one binary.
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // SHA-256 for the audit chain and token hashes; AES-GCM for secrets at rest.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // The two storage engines.
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Already in the graph through Hummingbird; named because our targets import them directly.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Prometheus text exposition of our own request and pool metrics.
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // HTTP client for model endpoints; Hummingbird's test client already brings it into the graph.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .executableTarget(
            name: "clearinghouse",
            dependencies: [
                "Platform", "Server", "Frontier", "Vulnerabilities", "Benchmarks", "ThreatSharing", "Defenders",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Platform",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Server",
            dependencies: [
                "Platform", "Frontier", "Vulnerabilities", "ThreatSharing", "Benchmarks", "Defenders",
                .product(name: "Hummingbird", package: "hummingbird"),
                // The eval test model server is a plain NIO HTTP/1.1 server (both already built for Hummingbird).
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Templates"), .copy("Static"), .copy("OpenAPI")],
            swiftSettings: strict
        ),
        // Domain modules: rules, types and their storage (SQL through Platform's seam); no HTTP types.
        // Threshold policies ship as JSON documents (resources), read at start.
        .target(name: "Frontier", dependencies: ["Platform"], resources: [.copy("Policies")], swiftSettings: strict),
        .target(
            name: "Benchmarks",
            dependencies: [
                "Platform",
                // Model endpoints (OpenAI chat completions, Anthropic Messages); already built for HummingbirdTesting.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .target(name: "Vulnerabilities", dependencies: ["Platform"], swiftSettings: strict),
        .target(name: "ThreatSharing", dependencies: ["Platform"], swiftSettings: strict),
        // Incidents and referral packages (EO 14409 §4); ThreatSharing only for STIX values and TLP marking ids.
        .target(name: "Defenders", dependencies: ["Platform", "ThreatSharing", "Frontier", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        .testTarget(name: "FrontierTests", dependencies: ["Frontier", "TestSupport"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "Platform", "TestSupport",
                                                            .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "VulnerabilitiesTests", dependencies: ["Vulnerabilities", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "DefendersTests", dependencies: ["Defenders", "ThreatSharing", "Frontier", "Platform", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ThreatSharingTests", dependencies: ["ThreatSharing", "Platform", "TestSupport"], swiftSettings: strict),
        // Real databases for tests: SQLite always, PostgreSQL when CLEARINGHOUSE_TEST_POSTGRES_URL is set.
        .target(
            name: "TestSupport",
            dependencies: ["Platform", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "PlatformTests",
            dependencies: ["Platform", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "Platform", "TestSupport", "Frontier", "ThreatSharing", "Benchmarks", "Defenders",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
    ]
)

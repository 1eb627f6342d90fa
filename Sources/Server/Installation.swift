// What makes up a whole installation: the schema migrations of every area, in one list. The server,
// every command and the HTTP tests migrate and check against this list.
import Benchmarks
import Defenders
import Frontier
import Platform
import ThreatSharing
import Vulnerabilities

public enum Installation {
    /// Each area owns a range of migration versions (see `Migrator`); add an area's list here.
    public static let migrations: [Migration] =
        Schema.platform + FrontierSchema.migrations + VulnerabilitySchema.migrations + ThreatSharingSchema.migrations
        + BenchmarksSchema.migrations + DefendersSchema.migrations + RemediationSchema.migrations

    public static var migrator: Migrator { Migrator(migrations) }
}

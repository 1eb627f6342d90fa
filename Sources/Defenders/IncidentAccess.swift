// Who may read an incident. Incidents are TLP:RED by default, and for an incident RED means: the
// reporting organisation, the coordinator organisations and users it names, and nobody else. The
// foundation's rule lets only named users read RED, so incidents add their owner and named orgs
// on top of it, in Swift and in SQL alike. Incidents carry no compartments.
import Platform

public enum IncidentAccess {
    public static func canRead(_ reader: Reader, _ label: AccessLabel) -> Bool {
        if AccessRule.canRead(reader, label) { return true }
        return label.compartments.isEmpty && (label.ownerOrg == reader.orgId || label.orgs.contains(reader.orgId))
    }

    /// Changing an incident (evidence, tags, sharing) is for the reporting organisation and admins.
    public static func canWrite(_ reader: Reader, _ label: AccessLabel) -> Bool {
        reader.mayWrite && canRead(reader, label) && (reader.isAdmin || label.ownerOrg == reader.orgId)
    }

    /// Selects exactly the rows `canRead` allows; placeholders start at `$firstBind`.
    public static func visibleSQL(_ reader: Reader, alias: String, firstBind: Int) -> (sql: String, binds: [SQLValue]) {
        let base = AccessRule.visibleSQL(reader, alias: alias, firstBind: firstBind)
        if reader.isAdmin { return base }
        let t = alias.isEmpty ? "" : alias + "."
        // visibleSQL binds the reader's org id first, so `$firstBind` is the org here too.
        let org = "$\(firstBind)"
        return ("(\(base.sql) OR (\(t)compartments = ',' AND (\(t)owner_org = \(org) OR \(t)share_orgs LIKE '%,' || \(org) || ',%')))", base.binds)
    }
}

// The threat-sharing tables (migration versions 300–399): TAXII API roots, collections with
// per-organisation grants, one row per stored object version, and status resources.
// Times are microseconds since the epoch; `seq` is the monotonic tie-breaker for keyset pages.
import Platform

public enum ThreatSharingSchema {
    /// The API root every installation starts with; discovery lists it as the default.
    public static let defaultAPIRoot = "default"

    public static let migrations: [Migration] = [
        Migration(version: 300, name: "TAXII api roots, collections, objects, status") { engine in
            let seqColumn = engine == .sqlite
                ? "seq INTEGER PRIMARY KEY AUTOINCREMENT"
                : "seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
            return [
                """
                CREATE TABLE taxii_api_roots (
                    name TEXT PRIMARY KEY,
                    title TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    max_content_length BIGINT NOT NULL,
                    created_at BIGINT NOT NULL)
                """,
                """
                INSERT INTO taxii_api_roots (name, title, description, max_content_length, created_at)
                VALUES ('\(defaultAPIRoot)', 'Clearinghouse threat sharing',
                        'STIX 2.1 threat intelligence shared under TLP 2.0', 10485760, 0)
                """,
                """
                CREATE TABLE taxii_collections (
                    id TEXT PRIMARY KEY,
                    api_root TEXT NOT NULL REFERENCES taxii_api_roots(name),
                    title TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    default_tlp BIGINT NOT NULL CHECK (default_tlp BETWEEN 0 AND 4),
                    created_at BIGINT NOT NULL)
                """,
                "CREATE INDEX taxii_collections_root ON taxii_collections (api_root, title)",
                // read_level: the highest TLP rank (0 clear … 3 amber+strict) the organisation's
                // readers receive, -1 for none; TLP:RED goes only to named recipients.
                """
                CREATE TABLE taxii_grants (
                    collection_id TEXT NOT NULL REFERENCES taxii_collections(id) ON DELETE CASCADE,
                    org_id TEXT NOT NULL REFERENCES organisations(id),
                    read_level BIGINT NOT NULL CHECK (read_level BETWEEN -1 AND 3),
                    can_write BIGINT NOT NULL CHECK (can_write IN (0, 1)),
                    PRIMARY KEY (collection_id, org_id))
                """,
                "CREATE INDEX taxii_grants_org ON taxii_grants (org_id)",
                objectsTable(named: "taxii_objects", seqColumn: seqColumn,
                             collectionColumn: "collection_id TEXT NOT NULL REFERENCES taxii_collections(id) ON DELETE CASCADE"),
            ] + objectsIndexes + [
                """
                CREATE TABLE taxii_status (
                    id TEXT PRIMARY KEY,
                    api_root TEXT NOT NULL,
                    collection_id TEXT NOT NULL,
                    requester TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'complete')),
                    request_us BIGINT NOT NULL,
                    total_count BIGINT NOT NULL,
                    success_count BIGINT NOT NULL,
                    failure_count BIGINT NOT NULL,
                    pending_count BIGINT NOT NULL)
                """,
                """
                CREATE TABLE taxii_status_details (
                    status_id TEXT NOT NULL REFERENCES taxii_status(id) ON DELETE CASCADE,
                    position BIGINT NOT NULL,
                    outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'pending')),
                    object_id TEXT NOT NULL,
                    version TEXT NOT NULL,
                    message TEXT,
                    PRIMARY KEY (status_id, position))
                """,
            ]
        },
        // A status keeps one row per stored chunk (its successes and failures as compact JSON)
        // instead of one per object: a million-object import writes a thousand rows, not a
        // million. Statuses written before this stay readable from taxii_status_details.
        Migration(version: 310, name: "TAXII status parts, one row per chunk") { _ in
            [
                """
                CREATE TABLE taxii_status_parts (
                    status_id TEXT NOT NULL REFERENCES taxii_status(id) ON DELETE CASCADE,
                    part BIGINT NOT NULL,
                    successes TEXT NOT NULL,
                    failures TEXT NOT NULL,
                    PRIMARY KEY (status_id, part))
                """,
            ]
        },
        // taxii_objects loses its foreign key to taxii_collections. On SQLite, an immediate foreign
        // key on a multi-row INSERT makes every statement keep a statement journal: a copy of each
        // page it touches, so the statement alone can be undone. Without it (and with INSERT OR
        // ROLLBACK, since any failure rolls back the whole chunk anyway) a bulk import runs 20-30%
        // faster (bench/taxii/RESULTS.md). Objects are only ever stored into a collection the
        // store has just read, and collections are never deleted, so the key guarded nothing the
        // code does not. SQLite cannot drop a constraint in place: the table is rebuilt by the
        // documented procedure (new table, copy, drop, rename, indexes), keeping every row, its
        // seq and the AUTOINCREMENT high-water mark; a large table takes a while, once.
        Migration(version: 320, name: "TAXII objects without the foreign key to collections") { engine in
            guard engine == .sqlite else {
                return ["ALTER TABLE taxii_objects DROP CONSTRAINT IF EXISTS taxii_objects_collection_id_fkey"]
            }
            let columns = "seq, collection_id, object_id, type, spec_version, created_us, modified_us, version_us, date_added_us, is_first, is_last, tlp, recipients, body"
            return [
                objectsTable(named: "taxii_objects_rebuilt", seqColumn: "seq INTEGER PRIMARY KEY AUTOINCREMENT",
                             collectionColumn: "collection_id TEXT NOT NULL"),
                "INSERT INTO taxii_objects_rebuilt (\(columns)) SELECT \(columns) FROM taxii_objects ORDER BY seq",
                // The old table's high-water mark, which may lie above its largest remaining seq.
                "DELETE FROM sqlite_sequence WHERE name = 'taxii_objects_rebuilt'",
                "INSERT INTO sqlite_sequence (name, seq) SELECT 'taxii_objects_rebuilt', seq FROM sqlite_sequence WHERE name = 'taxii_objects'",
                "DROP TABLE taxii_objects",
                "ALTER TABLE taxii_objects_rebuilt RENAME TO taxii_objects",
            ] + objectsIndexes
        },
    ]

    /// One row per stored object version (migration 300; rebuilt without the foreign key by 320).
    static func objectsTable(named name: String, seqColumn: String, collectionColumn: String) -> String {
        """
        CREATE TABLE \(name) (
            \(seqColumn),
            \(collectionColumn),
            object_id TEXT NOT NULL,
            type TEXT NOT NULL,
            spec_version TEXT NOT NULL,
            created_us BIGINT,
            modified_us BIGINT,
            version_us BIGINT NOT NULL,
            date_added_us BIGINT NOT NULL,
            is_first BIGINT NOT NULL CHECK (is_first IN (0, 1)),
            is_last BIGINT NOT NULL CHECK (is_last IN (0, 1)),
            tlp BIGINT NOT NULL CHECK (tlp BETWEEN 0 AND 4),
            recipients TEXT NOT NULL DEFAULT ',',
            body TEXT NOT NULL)
        """
    }

    static let objectsIndexes = [
        "CREATE INDEX taxii_objects_added ON taxii_objects (collection_id, date_added_us, seq)",
        "CREATE UNIQUE INDEX taxii_objects_version ON taxii_objects (collection_id, object_id, version_us)",
        "CREATE INDEX taxii_objects_type ON taxii_objects (collection_id, type, date_added_us, seq)",
    ]
}

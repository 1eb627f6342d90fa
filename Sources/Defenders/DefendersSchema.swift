// The defenders area's tables (migration versions 500–599). Append-only: a change is a new
// migration at the end, never an edit of a shipped one.
import Platform

public enum DefendersSchema {
    public static let migrations: [Migration] = [
        Migration(version: 500, name: "incident reports of AI-enabled intrusions and their sealed evidence") { engine in
            let blob = engine == .postgres ? "BYTEA" : "BLOB"
            return [
                """
                CREATE TABLE incidents (
                    id TEXT PRIMARY KEY,
                    title TEXT NOT NULL,
                    started_at BIGINT NOT NULL,
                    detected_at BIGINT NOT NULL,
                    filed_at BIGINT NOT NULL,
                    filed_by TEXT NOT NULL,
                    filed_as TEXT NOT NULL CHECK (filed_as IN ('victim', 'defender', 'reviewer')),
                    body TEXT NOT NULL,
                    confirmed_tags TEXT NOT NULL DEFAULT '[]',
                    tag_list TEXT NOT NULL DEFAULT ',',
                    confirmed_by TEXT,
                    confirmed_at BIGINT,
                    \(LabelColumns.ddl)
                )
                """,
                "CREATE INDEX incidents_filed ON incidents (filed_at DESC, id)",
                """
                CREATE TABLE incident_evidence (
                    id TEXT PRIMARY KEY,
                    incident_id TEXT NOT NULL REFERENCES incidents(id),
                    seq BIGINT NOT NULL,
                    name TEXT NOT NULL,
                    media_type TEXT NOT NULL,
                    size BIGINT NOT NULL CHECK (size > 0),
                    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
                    sealed \(blob) NOT NULL,
                    received_at BIGINT NOT NULL,
                    received_by TEXT NOT NULL,
                    UNIQUE (incident_id, seq)
                )
                """,
            ]
        },
        Migration(version: 501, name: "defensive tool access programme: defender profiles, offerings, access requests", sql: [
            """
            CREATE TABLE defender_profiles (
                org_id TEXT PRIMARY KEY REFERENCES organisations(id),
                sector TEXT NOT NULL,
                employees BIGINT NOT NULL CHECK (employees >= 0),
                jurisdiction TEXT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE tool_offerings (
                id TEXT PRIMARY KEY,
                provider_org TEXT NOT NULL REFERENCES organisations(id),
                name TEXT NOT NULL,
                capability TEXT NOT NULL,
                model_reference TEXT NOT NULL DEFAULT '',
                org_kinds TEXT NOT NULL DEFAULT ',',
                sectors TEXT NOT NULL DEFAULT ',',
                jurisdictions TEXT NOT NULL DEFAULT ',',
                max_employees BIGINT,
                capacity BIGINT NOT NULL CHECK (capacity >= 0),
                terms TEXT NOT NULL DEFAULT '',
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE tool_access_requests (
                id TEXT PRIMARY KEY,
                offering_id TEXT NOT NULL REFERENCES tool_offerings(id),
                org_id TEXT NOT NULL REFERENCES organisations(id),
                state TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'waitlisted', 'declined')),
                reason TEXT NOT NULL DEFAULT '',
                requested_at BIGINT NOT NULL,
                decided_at BIGINT,
                decided_by TEXT,
                UNIQUE (offering_id, org_id)
            )
            """,
        ]),
        Migration(version: 520, name: "incidents shared into threat-sharing collections, and the installation's package-signing key", sql: [
            """
            CREATE TABLE incident_feed_shares (
                id TEXT PRIMARY KEY,
                incident_id TEXT NOT NULL REFERENCES incidents(id),
                collection_id TEXT NOT NULL,
                tlp TEXT NOT NULL,
                include_personal BIGINT NOT NULL CHECK (include_personal IN (0, 1)),
                personal_fields TEXT NOT NULL DEFAULT ',',
                recipients TEXT NOT NULL DEFAULT ',',
                object_count BIGINT NOT NULL CHECK (object_count >= 0),
                shared_at BIGINT NOT NULL,
                shared_by TEXT NOT NULL
            )
            """,
            "CREATE INDEX incident_feed_shares_incident ON incident_feed_shares (incident_id, shared_at)",
            """
            CREATE TABLE defenders_signing_keys (
                id BIGINT PRIMARY KEY CHECK (id = 1),
                algorithm TEXT NOT NULL CHECK (algorithm = 'Ed25519'),
                public_key TEXT NOT NULL,
                private_key_sealed TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
        ]),
    ]
}

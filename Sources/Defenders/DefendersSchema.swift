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
        // 510–513: the rest of the tool access programme. Offerings gain several capabilities, a
        // link to a frontier model version, a lower size bound and retirement; requests gain a
        // purpose and may be made again after a decline or an ended grant (the table is rebuilt
        // because SQLite cannot drop a UNIQUE constraint); grants carry start and end dates; usage
        // reports belong to a grant.
        Migration(version: 510, name: "tool offerings: capabilities, model version link, size bounds, edits and retirement", sql: [
            "ALTER TABLE tool_offerings ADD COLUMN capabilities TEXT NOT NULL DEFAULT ','",
            "UPDATE tool_offerings SET capabilities = ',' || REPLACE(capability, ',', '') || ','",
            "ALTER TABLE tool_offerings ADD COLUMN model_version_id TEXT",
            "ALTER TABLE tool_offerings ADD COLUMN min_employees BIGINT",
            "ALTER TABLE tool_offerings ADD COLUMN updated_at BIGINT",
            "ALTER TABLE tool_offerings ADD COLUMN retired_at BIGINT",
            "ALTER TABLE tool_offerings ADD COLUMN retired_by TEXT",
            "ALTER TABLE tool_offerings ADD COLUMN retire_reason TEXT NOT NULL DEFAULT ''",
        ]),
        Migration(version: 511, name: "tool access requests with a purpose, repeatable after a decline or an ended grant", sql: [
            """
            CREATE TABLE tool_requests (
                id TEXT PRIMARY KEY,
                offering_id TEXT NOT NULL REFERENCES tool_offerings(id),
                org_id TEXT NOT NULL REFERENCES organisations(id),
                purpose TEXT NOT NULL DEFAULT '',
                state TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'waitlisted', 'declined')),
                reason TEXT NOT NULL DEFAULT '',
                requested_at BIGINT NOT NULL,
                requested_by TEXT NOT NULL DEFAULT '',
                decided_at BIGINT,
                decided_by TEXT
            )
            """,
            """
            INSERT INTO tool_requests (id, offering_id, org_id, state, reason, requested_at, decided_at, decided_by)
            SELECT id, offering_id, org_id, state, reason, requested_at, decided_at, decided_by FROM tool_access_requests
            """,
            "DROP TABLE tool_access_requests",
            "CREATE INDEX tool_requests_offering ON tool_requests (offering_id, state, requested_at)",
            "CREATE INDEX tool_requests_org ON tool_requests (org_id, requested_at)",
            // At most one undecided or wait-listed request per organisation and offering.
            "CREATE UNIQUE INDEX tool_requests_open ON tool_requests (offering_id, org_id) WHERE state IN ('requested', 'waitlisted')",
        ]),
        Migration(version: 512, name: "tool access grants with start and end dates", sql: [
            """
            CREATE TABLE tool_grants (
                id TEXT PRIMARY KEY,
                request_id TEXT NOT NULL UNIQUE REFERENCES tool_requests(id),
                offering_id TEXT NOT NULL REFERENCES tool_offerings(id),
                org_id TEXT NOT NULL REFERENCES organisations(id),
                starts_at BIGINT NOT NULL,
                ends_at BIGINT NOT NULL,
                granted_at BIGINT NOT NULL,
                granted_by TEXT NOT NULL,
                ended_at BIGINT,
                ended_by TEXT,
                end_reason TEXT NOT NULL DEFAULT '',
                CHECK (ends_at > starts_at)
            )
            """,
            // Approvals made before grants had dates: a year from the decision.
            """
            INSERT INTO tool_grants (id, request_id, offering_id, org_id, starts_at, ends_at, granted_at, granted_by)
            SELECT id, id, offering_id, org_id, COALESCE(decided_at, requested_at), COALESCE(decided_at, requested_at) + 31536000000000,
                   COALESCE(decided_at, requested_at), COALESCE(decided_by, '') FROM tool_requests WHERE state = 'approved'
            """,
            "CREATE INDEX tool_grants_offering ON tool_grants (offering_id, ends_at)",
            "CREATE INDEX tool_grants_org ON tool_grants (org_id, starts_at)",
        ]),
        Migration(version: 513, name: "usage reports of tool access grants", sql: [
            """
            CREATE TABLE tool_usage_reports (
                id TEXT PRIMARY KEY,
                grant_id TEXT NOT NULL REFERENCES tool_grants(id),
                period_start BIGINT NOT NULL,
                period_end BIGINT NOT NULL,
                measure TEXT NOT NULL,
                quantity DOUBLE PRECISION NOT NULL CHECK (quantity >= 0),
                outcome TEXT NOT NULL DEFAULT '',
                reported_at BIGINT NOT NULL,
                reported_by TEXT NOT NULL,
                reporter_org TEXT NOT NULL,
                CHECK (period_end > period_start)
            )
            """,
            "CREATE INDEX tool_usage_grant ON tool_usage_reports (grant_id, period_start)",
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

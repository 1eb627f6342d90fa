// The frontier program's tables (migration versions 100–199). Invariants the schema can hold are
// held here: an architecture is dense or mixture-of-experts, a designation is covered / not covered
// / deferred, a window ends after it starts. There is deliberately no approval or denial column
// anywhere: EO 14409 §3(c) forbids preclearance, so nothing a reviewer records can gate a release.
import Platform

public enum FrontierSchema {
    public static let migrations: [Migration] = [
        Migration(version: 100, name: "frontier program", sql: [
            """
            CREATE TABLE frontier_models (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                created_by TEXT NOT NULL,
                \(LabelColumns.ddl),
                UNIQUE (owner_org, name))
            """,
            """
            CREATE TABLE frontier_versions (
                id TEXT PRIMARY KEY,
                model_id TEXT NOT NULL REFERENCES frontier_models(id),
                version TEXT NOT NULL,
                modalities TEXT NOT NULL DEFAULT ',',
                architecture TEXT NOT NULL CHECK (architecture IN ('dense', 'mixture-of-experts')),
                total_parameters DOUBLE PRECISION CHECK (total_parameters > 0),
                active_parameters DOUBLE PRECISION CHECK (active_parameters > 0),
                training_tokens DOUBLE PRECISION CHECK (training_tokens > 0),
                training_hardware TEXT,
                training_started TEXT,
                training_ended TEXT,
                planned_release TEXT,
                endpoint_url TEXT,
                endpoint_credential_sealed TEXT,
                released_at BIGINT,
                created_at BIGINT NOT NULL,
                created_by TEXT NOT NULL,
                \(LabelColumns.ddl),
                UNIQUE (model_id, version))
            """,
            """
            CREATE TABLE frontier_ledger_items (
                id TEXT PRIMARY KEY,
                version_id TEXT NOT NULL REFERENCES frontier_versions(id),
                position BIGINT NOT NULL,
                label TEXT NOT NULL,
                category TEXT NOT NULL,
                method TEXT NOT NULL CHECK (method IN ('architecture', 'hardware', 'declared')),
                flop_low DOUBLE PRECISION NOT NULL CHECK (flop_low >= 0),
                flop DOUBLE PRECISION NOT NULL CHECK (flop >= flop_low),
                flop_high DOUBLE PRECISION NOT NULL CHECK (flop_high >= flop),
                basis TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                UNIQUE (version_id, position))
            """,
            """
            CREATE TABLE frontier_policy_versions (
                policy_id TEXT NOT NULL,
                version TEXT NOT NULL,
                effective_date TEXT NOT NULL,
                document TEXT NOT NULL,
                loaded_at BIGINT NOT NULL,
                loaded_by TEXT NOT NULL,
                PRIMARY KEY (policy_id, version))
            """,
            """
            CREATE TABLE frontier_inquiries (
                id TEXT PRIMARY KEY,
                version_id TEXT NOT NULL REFERENCES frontier_versions(id),
                question TEXT NOT NULL,
                opened_at BIGINT NOT NULL,
                opened_by TEXT NOT NULL,
                \(LabelColumns.ddl))
            """,
            "CREATE INDEX frontier_inquiries_version ON frontier_inquiries (version_id)",
            """
            CREATE TABLE frontier_designations (
                id TEXT PRIMARY KEY,
                inquiry_id TEXT NOT NULL REFERENCES frontier_inquiries(id),
                designation TEXT NOT NULL CHECK (designation IN ('covered', 'not-covered', 'deferred')),
                rationale TEXT NOT NULL,
                recorded_at BIGINT NOT NULL,
                recorded_by TEXT NOT NULL,
                reviewer_org TEXT NOT NULL,
                \(LabelColumns.ddl))
            """,
            "CREATE INDEX frontier_designations_inquiry ON frontier_designations (inquiry_id)",
            """
            CREATE TABLE frontier_protection_terms (
                version TEXT PRIMARY KEY,
                body TEXT NOT NULL,
                published_at BIGINT NOT NULL,
                published_by TEXT NOT NULL)
            """,
            """
            CREATE TABLE frontier_windows (
                id TEXT PRIMARY KEY,
                version_id TEXT NOT NULL REFERENCES frontier_versions(id),
                starts_at BIGINT NOT NULL,
                ends_at BIGINT NOT NULL,
                terms_version TEXT NOT NULL REFERENCES frontier_protection_terms(version),
                withdrawn_at BIGINT,
                created_at BIGINT NOT NULL,
                created_by TEXT NOT NULL,
                \(LabelColumns.ddl),
                CHECK (ends_at > starts_at))
            """,
            "CREATE INDEX frontier_windows_version ON frontier_windows (version_id)",
            """
            CREATE TABLE frontier_window_invitees (
                window_id TEXT NOT NULL REFERENCES frontier_windows(id),
                org_id TEXT NOT NULL REFERENCES organisations(id),
                accepted_at BIGINT,
                accepted_by TEXT,
                accepted_terms_version TEXT,
                PRIMARY KEY (window_id, org_id))
            """,
            """
            CREATE TABLE frontier_reference_models (
                name TEXT PRIMARY KEY,
                organization TEXT NOT NULL,
                publication_date TEXT,
                domain TEXT NOT NULL,
                parameters DOUBLE PRECISION,
                training_tokens DOUBLE PRECISION,
                training_compute_flop DOUBLE PRECISION,
                confidence TEXT,
                imported_at BIGINT NOT NULL)
            """,
        ]),
    ]
}

// The schema, as the ordered list of migrations. Append new migrations at the end; never edit one
// that has shipped. Times are microseconds since the Unix epoch (BIGINT) on both engines, flags are
// 0/1 integers, identifiers are text, so the same SQL reads and writes both.
import Foundation

public enum Schema {
    /// The platform's own tables (versions 1–99).
    public static let platform: [Migration] = [
        Migration(version: 1, name: "identities, sessions, audit log", sql: [
            """
            CREATE TABLE organisations (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL CHECK (kind IN ('ai-developer', 'government', 'trusted-partner', 'maintainer', 'defender')),
                created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                org_id TEXT NOT NULL REFERENCES organisations(id),
                role TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'member')),
                password_hash TEXT,
                compartments TEXT NOT NULL DEFAULT ',',
                disabled BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
                created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX users_org ON users (org_id)",
            """
            CREATE TABLE api_tokens (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id),
                token_hash TEXT NOT NULL UNIQUE,
                label TEXT NOT NULL,
                scope TEXT,
                created_at BIGINT NOT NULL,
                expires_at BIGINT,
                revoked_at BIGINT,
                last_used_at BIGINT)
            """,
            "CREATE INDEX api_tokens_user ON api_tokens (user_id)",
            """
            CREATE TABLE web_sessions (
                id_hash TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id),
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL)
            """,
            "CREATE INDEX web_sessions_user ON web_sessions (user_id)",
            """
            CREATE TABLE login_attempts (
                key TEXT PRIMARY KEY,
                window_start BIGINT NOT NULL,
                failures BIGINT NOT NULL)
            """,
            """
            CREATE TABLE audit_head (
                id BIGINT PRIMARY KEY CHECK (id = 1),
                seq BIGINT NOT NULL,
                hash TEXT NOT NULL)
            """,
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '\(AuditLog.genesisHash)')",
            """
            CREATE TABLE audit_log (
                seq BIGINT PRIMARY KEY,
                at BIGINT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                target TEXT NOT NULL,
                detail TEXT NOT NULL,
                change_digest TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL)
            """,
            "CREATE INDEX audit_log_actor ON audit_log (actor, seq)",
            "CREATE INDEX audit_log_action ON audit_log (action, seq)",
            "CREATE INDEX audit_log_target ON audit_log (target, seq)",
            "CREATE INDEX audit_log_at ON audit_log (at)",
        ]),
    ]
}

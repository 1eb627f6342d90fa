// Tables of defender remediation items (migration versions 220–229, inside the vulnerability
// range). A separate list from VulnerabilitySchema so it can be appended without touching the
// intake and case migrations; Installation runs both.
import Platform

public enum RemediationSchema {
    public static let migrations: [Migration] = [
        Migration(version: 220, name: "defender remediation items with directive deadlines") { _ in
            [
                """
                CREATE TABLE vuln_remediation_items (
                    id TEXT PRIMARY KEY,
                    org_id TEXT NOT NULL REFERENCES organisations(id),
                    cve TEXT,
                    case_id TEXT REFERENCES vuln_cases(id),
                    asset TEXT NOT NULL,
                    publicly_exposed BIGINT NOT NULL CHECK (publicly_exposed IN (0, 1)),
                    automatable TEXT NOT NULL CHECK (automatable IN ('N', 'Y')),
                    automatable_source TEXT NOT NULL,
                    technical_impact TEXT NOT NULL CHECK (technical_impact IN ('P', 'T')),
                    technical_impact_source TEXT NOT NULL,
                    in_kev BIGINT NOT NULL CHECK (in_kev IN (0, 1)),
                    kev_due_date TEXT,
                    directive TEXT CHECK (directive IS NULL OR directive IN ('bod-26-04', 'bod-22-01')),
                    applied_directive TEXT NOT NULL CHECK (applied_directive IN ('bod-26-04', 'bod-22-01')),
                    timeline TEXT NOT NULL,
                    due_at BIGINT,
                    due_rule TEXT NOT NULL,
                    started_at BIGINT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'mitigated', 'remediated', 'risk_accepted')),
                    status_reason TEXT NOT NULL DEFAULT '',
                    status_by TEXT,
                    status_at BIGINT,
                    notes TEXT NOT NULL DEFAULT '',
                    created_by TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    CHECK (cve IS NOT NULL OR case_id IS NOT NULL)
                )
                """,
                "CREATE INDEX vuln_remediation_org_due ON vuln_remediation_items (org_id, status, due_at)",
                "CREATE UNIQUE INDEX vuln_remediation_org_asset_cve ON vuln_remediation_items (org_id, asset, cve) WHERE cve IS NOT NULL",
                """
                CREATE TABLE vuln_remediation_settings (
                    org_id TEXT PRIMARY KEY REFERENCES organisations(id),
                    directive TEXT NOT NULL CHECK (directive IN ('bod-26-04', 'bod-22-01')),
                    updated_by TEXT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
            ]
        },
    ]
}

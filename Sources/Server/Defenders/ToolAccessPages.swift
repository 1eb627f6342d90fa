// The defensive tool access page (EO 14409 §2): every offering with whether the reader's
// organisation is eligible and, if not, each reason; for coordinators (reviewers, admins) the
// demand and coverage by sector and jurisdiction as a table and an SVG chart with a text alternative.
import Defenders
import Foundation
import Hummingbird
import Platform

struct ToolAccessPages {
    let services: AppServices
    var store: ToolAccessStore { ToolAccessStore(db: services.db, clock: services.clock) }
    var web: WebController { WebController(services: services) }

    func register(on router: Router<AppContext>) {
        router.get("/tools", use: page)
    }

    /// Horizontal bars: defenders per sector and jurisdiction, the covered part filled.
    static func chart(_ rows: [CoverageRow]) -> String {
        let maxValue = max(1, rows.map(\.defenders).max() ?? 1)
        let rowHeight = 28, labelWidth = 200, barWidth = 360
        var bars = ""
        for (i, r) in rows.enumerated() {
            let y = i * rowHeight + 10
            let total = r.defenders * barWidth / maxValue, covered = r.covered * barWidth / maxValue
            let label = "\(r.sector), \(r.jurisdiction)".replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: "&", with: "&amp;")
            bars += """
                <text x="0" y="\(y + 15)" font-size="13">\(label)</text>\
                <rect x="\(labelWidth)" y="\(y)" width="\(total)" height="20" fill="#dfe1e2"/>\
                <rect x="\(labelWidth)" y="\(y)" width="\(covered)" height="20" fill="#005ea2"/>\
                <text x="\(labelWidth + total + 6)" y="\(y + 15)" font-size="13">\(r.covered) of \(r.defenders) covered</text>
                """
        }
        let height = rows.count * rowHeight + 20
        return """
            <svg role="img" aria-labelledby="cov-title cov-desc" width="\(labelWidth + barWidth + 140)" height="\(height)" viewBox="0 0 \(labelWidth + barWidth + 140) \(height)">\
            <title id="cov-title">Defender coverage by sector and jurisdiction</title>\
            <desc id="cov-desc">For each sector and jurisdiction, the grey bar is the number of defender organisations and the blue part those eligible for at least one offering. The table below gives the same figures.</desc>\
            \(bars)</svg>
            """
    }

    @Sendable func page(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let offerings: [[String: Any]] = try await store.offerings(for: reader).map { v in
            ["name": v.offering.name, "capability": v.offering.capability, "model": v.offering.modelReference,
             "capacity": "\(v.approved) of \(v.offering.capacity) places taken", "terms": v.offering.terms,
             "eligible": v.eligible, "reasons": v.reasons, "request": v.ownRequest?.rawValue ?? "none"]
        }
        var model: [String: Any] = ["offerings": offerings, "hasOfferings": !offerings.isEmpty]
        if reader.isAdmin || reader.role == .reviewer {
            let rows = try await store.coverage()
            model["coordinator"] = true
            model["coverage"] = rows.map { ["sector": $0.sector, "jurisdiction": $0.jurisdiction, "defenders": $0.defenders, "covered": $0.covered,
                                            "requests": $0.requests, "approved": $0.approved, "gap": $0.covered < $0.defenders] }
            model["chart"] = Self.chart(rows)
        }
        return services.pages.render("tools", model, chrome: try await web.chrome("Defensive tool access", nav: "tools", context: context))
    }
}

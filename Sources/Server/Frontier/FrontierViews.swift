// What the frontier API and pages show about a model version, assembled once: its record, ledger,
// verdicts, windows with their clocks, and inquiries with designations. Also the two SVG charts the
// pages draw on the server (compute interval on a log axis against policy thresholds; reference
// models' compute over publication date), each with <title>, <desc> and a text alternative.
import Foundation
import Frontier
import Platform

enum FrontierViews {
    static func versionDetail(store: FrontierStore, reader: Reader, id: String, now: Date) async throws -> VersionDetailDTO {
        let version = try await store.version(reader, id: id)
        let ledger = try await store.ledger(reader, versionId: id)
        let verdicts = try await store.assess(reader, versionId: id, at: now)
        let windows = try await store.windows(reader, versionId: id)
        let inquiries = try await store.inquiries(reader, versionId: id)
        return VersionDetailDTO(
            version: VersionDTO(version), ledger: ledger.map(LedgerItemDTO.init), verdicts: verdicts.map(VerdictDTO.init),
            windows: windows.map { WindowDTO($0, now: now) }, inquiries: inquiries.map(InquiryDTO.init))
    }

    /// A window's clock in words: "opens in 2 days 3 hours", "12 days 4 hours remaining", "ended".
    static func clock(_ w: WindowRecord, now: Date) -> String {
        switch w.status(at: now) {
        case .withdrawn: return "withdrawn by the developer"
        case .ended: return "ended"
        case .scheduled: return "opens in \(duration(w.startsAt.timeIntervalSince(now)))"
        case .open: return "\(duration(w.endsAt.timeIntervalSince(now))) remaining"
        }
    }

    static func duration(_ seconds: TimeInterval) -> String {
        let total = Int(seconds.rounded(.down))
        let days = total / 86_400, hours = (total % 86_400) / 3600, minutes = (total % 3600) / 60
        func unit(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        if days > 0 { return hours > 0 ? "\(unit(days, "day")) \(unit(hours, "hour"))" : unit(days, "day") }
        if hours > 0 { return minutes > 0 ? "\(unit(hours, "hour")) \(unit(minutes, "minute"))" : unit(hours, "hour") }
        return minutes > 0 ? unit(minutes, "minute") : "less than a minute"
    }

    // MARK: charts

    struct ThresholdLine {
        let label: String
        let flop: Double
    }

    /// Every determinative compute threshold of the current policies, for the charts.
    static func thresholdLines(_ set: PolicySet, now: Date) -> [ThresholdLine] {
        var lines: [ThresholdLine] = []
        for policy in set.currentPolicies(asOf: now) {
            for c in policy.determinativeCriteria {
                if case .trainingCompute(let threshold, _, let condition) = c.kind {
                    lines.append(ThresholdLine(label: "\(policy.id) \(condition == .always ? "" : "(\(condition.rawValue)) ")\(FrontierNumber.scientific(threshold))", flop: threshold))
                }
            }
        }
        return lines
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A horizontal log-scale axis of FLOP with the interval as a bar and a vertical line per threshold.
    static func intervalChart(name: String, interval: ComputeInterval?, thresholds: [ThresholdLine]) -> String {
        let width = 720.0, left = 20.0, right = 700.0, barY = 60.0
        var values = thresholds.map(\.flop)
        if let interval { values += [max(interval.low, 1), interval.high] }
        let lo = floor(log10(values.min() ?? 1e22)) - 1, hi = ceil(log10(values.max() ?? 1e27)) + 1
        func x(_ v: Double) -> Double { left + (log10(max(v, 1)) - lo) / (hi - lo) * (right - left) }
        let description: String
        if let interval {
            description = "Training compute of \(name): \(FrontierNumber.scientific(interval.central)) FLOP, range \(FrontierNumber.scientific(interval.low)) to \(FrontierNumber.scientific(interval.high)). Thresholds: "
                + thresholds.map { "\($0.label)" }.joined(separator: "; ")
        } else {
            description = "No compute recorded yet for \(name). Thresholds: " + thresholds.map(\.label).joined(separator: "; ")
        }
        var svg = "<svg class=\"chart\" role=\"img\" aria-labelledby=\"ci-title ci-desc\" viewBox=\"0 0 \(Int(width)) \(Int(130 + 18 * Double(thresholds.count)))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<title id=\"ci-title\">Compute interval against policy thresholds (logarithmic FLOP axis)</title><desc id=\"ci-desc\">\(escape(description))</desc>"
        svg += "<line x1=\"\(left)\" y1=\"100\" x2=\"\(right)\" y2=\"100\" class=\"axis\"/>"
        for e in Int(lo)...Int(hi) {
            let px = x(pow(10, Double(e)))
            svg += "<line x1=\"\(px)\" y1=\"96\" x2=\"\(px)\" y2=\"104\" class=\"axis\"/><text x=\"\(px)\" y=\"118\" text-anchor=\"middle\" class=\"tick\">1e\(e)</text>"
        }
        if let interval {
            svg += "<rect x=\"\(x(interval.low))\" y=\"\(barY - 10)\" width=\"\(max(2, x(interval.high) - x(interval.low)))\" height=\"20\" class=\"interval\"/>"
            svg += "<line x1=\"\(x(interval.central))\" y1=\"\(barY - 16)\" x2=\"\(x(interval.central))\" y2=\"\(barY + 16)\" class=\"central\"/>"
        }
        for (i, t) in thresholds.enumerated() {
            let px = x(t.flop)
            svg += "<line x1=\"\(px)\" y1=\"20\" x2=\"\(px)\" y2=\"100\" class=\"threshold\"/>"
            svg += "<text x=\"\(left)\" y=\"\(136 + 18 * Double(i))\" class=\"legend\">threshold \(escape(t.label))</text>"
        }
        return svg + "</svg>"
    }

    /// Reference models' compute over publication date (log y axis) with a horizontal line per threshold.
    static func landscapeChart(points: [FrontierStore.ReferencePoint], thresholds: [ThresholdLine]) -> String {
        let left = 60.0, right = 860.0, top = 20.0, bottom = 420.0
        let years = points.compactMap { yearFraction($0.publicationDate) }
        let x0 = floor(years.min() ?? 2010), x1 = ceil(years.max() ?? 2026)
        let flops = points.map(\.trainingComputeFLOP).filter { $0 > 0 } + thresholds.map(\.flop)
        let y0 = floor(log10(flops.min() ?? 1e15)), y1 = ceil(log10(flops.max() ?? 1e27))
        func px(_ year: Double) -> Double { left + (year - x0) / max(1, x1 - x0) * (right - left) }
        func py(_ flop: Double) -> Double { bottom - (log10(max(flop, 1)) - y0) / max(1, y1 - y0) * (bottom - top) }
        let above = thresholds.map { t in "\(t.label): \(points.filter { $0.trainingComputeFLOP > t.flop }.count) models above" }
        var svg = "<svg class=\"chart\" role=\"img\" aria-labelledby=\"ls-title ls-desc\" viewBox=\"0 0 900 470\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<title id=\"ls-title\">Training compute of reference models over publication date (logarithmic FLOP axis)</title>"
        svg += "<desc id=\"ls-desc\">\(points.count) reference models from \(Int(x0)) to \(Int(x1)). \(escape(above.joined(separator: "; ")))</desc>"
        svg += "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(right)\" y2=\"\(bottom)\" class=\"axis\"/><line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(bottom)\" class=\"axis\"/>"
        for e in stride(from: Int(y0), through: Int(y1), by: 2) {
            svg += "<text x=\"\(left - 6)\" y=\"\(py(pow(10, Double(e))) + 4)\" text-anchor=\"end\" class=\"tick\">1e\(e)</text>"
        }
        for year in stride(from: Int(x0), through: Int(x1), by: max(1, Int(x1 - x0) / 8)) {
            svg += "<text x=\"\(px(Double(year)))\" y=\"\(bottom + 18)\" text-anchor=\"middle\" class=\"tick\">\(year)</text>"
        }
        for p in points {
            guard let year = yearFraction(p.publicationDate) else { continue }
            svg += "<circle cx=\"\(px(year))\" cy=\"\(py(p.trainingComputeFLOP))\" r=\"2.5\" class=\"point\"><title>\(escape(p.name)) (\(escape(p.organization)), \(escape(p.publicationDate))): \(FrontierNumber.scientific(p.trainingComputeFLOP)) FLOP</title></circle>"
        }
        for t in thresholds {
            svg += "<line x1=\"\(left)\" y1=\"\(py(t.flop))\" x2=\"\(right)\" y2=\"\(py(t.flop))\" class=\"threshold\"/>"
            svg += "<text x=\"\(right)\" y=\"\(py(t.flop) - 4)\" text-anchor=\"end\" class=\"legend\">\(escape(t.label))</text>"
        }
        return svg + "</svg>"
    }

    static func yearFraction(_ date: String) -> Double? {
        let parts = date.split(separator: "-").compactMap { Int($0) }
        guard let year = parts.first else { return nil }
        let month = parts.count > 1 ? parts[1] : 1
        return Double(year) + Double(month - 1) / 12
    }
}

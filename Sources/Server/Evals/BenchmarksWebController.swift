// The benchmarks pages: the runs a reader may see (filterable by status and model, paginated), a
// run's page (score and confidence interval drawn against each capability threshold of the current
// EO 14409 policy, the verdict each criterion would give on this run alone, errors), a paginated
// browser of its samples, and the reviewers' form to queue a run (CSRF-protected).
import Benchmarks
import Foundation
import Frontier
import Hummingbird
import Platform

struct BenchmarksWebController {
    let services: AppServices
    var web: WebController { WebController(services: services) }
    var store: EvalRunStore { EvalRunStore(db: services.db) }
    static let pageSize = 25

    func register(on router: Router<AppContext>) {
        router.get("/benchmarks", use: runs)
        router.post("/benchmarks/runs", use: queue)
        router.get("/benchmarks/runs/:id", use: run)
        router.get("/benchmarks/runs/:id/samples", use: samples)
    }

    @Sendable func runs(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let q = Query(request)
        let statusText = try q.string("status", maxLength: 20) ?? ""
        let status = try EvalsAPIController.status(statusText)
        let model = (try q.string("model", maxLength: 200)).flatMap { $0.isEmpty ? nil : $0 }
        let offset = try q.int("offset", range: 0...1_000_000) ?? 0
        let list = try await store.list(reader: reader, status: status, model: model, limit: Self.pageSize, offset: offset)
        let total = try await store.count(reader: reader, status: status, model: model)
        let chrome = try await web.chrome("Benchmark runs", nav: "benchmarks", context: context)
        let pager = WebController.pager(path: "/benchmarks", query: ["status": statusText, "model": model ?? ""], offset: offset,
                                        limit: Self.pageSize, total: total)
        let model_: [String: Any] = [
            "runs": list.map(Self.row), "total": total, "shown": WebController.pageLabel(offset: offset, count: list.count, total: total) as Any,
            "statuses": ["", "queued", "running", "done", "failed"].map { ["value": $0, "name": $0.isEmpty ? "any" : $0, "selected": $0 == statusText] },
            "model": model ?? "", "previous": pager?["previous"] as Any, "next": pager?["next"] as Any,
            "canQueue": reader.mayWrite && (reader.role == .reviewer || reader.isAdmin), "csrf": chrome.csrf,
            "tlps": TLP.allCases.map { ["value": $0.name, "name": $0.label, "selected": $0 == .amber] },
        ]
        return services.pages.render("benchmark-runs", model_, chrome: chrome)
    }

    @Sendable func queue(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        guard reader.mayWrite else { throw DomainError.forbidden("read-only accounts cannot queue runs") }
        func value(_ key: String) -> String? { FrontierWebController.value(form, key) }
        let suite: Suite
        do { suite = try Suite.decode(Data((value("suite") ?? "").utf8)) } catch let e as DomainError { throw e } catch {
            throw DomainError.invalid(field: "suite", reason: "a suite in JSON: \(error)")
        }
        var connections: Int?
        if let raw = value("max_connections") {
            guard let n = Int(raw), n >= 1 else { throw DomainError.invalid(field: "max_connections", reason: "a whole number of at least 1") }
            connections = n
        }
        var tlp: TLP?
        if let raw = value("tlp") {
            guard let t = TLP(name: raw) else { throw DomainError.invalid(field: "tlp", reason: "clear, green, amber, amber+strict or red") }
            tlp = t
        }
        let shares = (value("share_orgs") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let run = try await EvalsAPIController.queue(
            services, reader: reader, actor: context.actor, suite: suite, model: value("model") ?? "", baseURL: value("base_url") ?? "",
            modelVersionRef: value("model_version_ref"), inquiryRef: value("inquiry_ref"), maxConnections: connections, tlp: tlp,
            shareOrgs: shares, fieldPrefix: "")
        return .redirect(to: "/benchmarks/runs/\(run.id)", type: .normal)
    }

    @Sendable func run(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let run = try await store.run(id: try context.parameters.require("id"), reader: reader)
        let now = services.clock.now()
        let policy = try await EvalRunReferences.eo14409(services, at: now)
        let errors = try await store.samplePage(runID: run.id, errorsOnly: true, limit: 20)
        let chart = RunChart(run: run, policy: policy)
        let chrome = try await web.chrome("Run \(run.suite.name) on \(run.model)", nav: "benchmarks", context: context)
        let model: [String: Any] = [
            "run": Self.row(run), "summary": Self.summaryRows(run), "chart": chart.svg, "chartText": chart.text,
            "criteria": chart.criterionTexts.map { ["text": $0] }, "hasCriteria": !chart.criterionTexts.isEmpty,
            "policyVersion": policy.map { "\($0.id) version \($0.version), effective \($0.effectiveDate)" } ?? "no eo-14409 policy in effect",
            "errors": errors.records.map(Self.sampleRow), "errorCount": errors.total, "hasErrors": errors.total > 0,
            "moreErrors": errors.total > errors.records.count,
        ].merging(Self.statisticsModel(run)) { $1 }
        return services.pages.render("benchmark-run", model, chrome: chrome)
    }

    @Sendable func samples(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let run = try await store.run(id: try context.parameters.require("id"), reader: reader)
        let q = Query(request)
        let offset = try q.int("offset", range: 0...10_000_000) ?? 0
        let errorsOnly = (try q.string("errors", maxLength: 5)) == "1"
        let page = try await store.samplePage(runID: run.id, errorsOnly: errorsOnly, limit: Self.pageSize, offset: offset)
        let pager = WebController.pager(path: "/benchmarks/runs/\(run.id)/samples", query: ["errors": errorsOnly ? "1" : ""],
                                        offset: offset, limit: Self.pageSize, total: page.total)
        let chrome = try await web.chrome("Samples of run \(run.suite.name) on \(run.model)", nav: "benchmarks", context: context)
        let model: [String: Any] = [
            "run": Self.row(run), "samples": page.records.map(Self.sampleRow), "total": page.total, "errorsOnly": errorsOnly,
            "shown": WebController.pageLabel(offset: offset, count: page.records.count, total: page.total) as Any,
            "previous": pager?["previous"] as Any, "next": pager?["next"] as Any,
        ]
        return services.pages.render("benchmark-samples", model, chrome: chrome)
    }

    static func format(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "not yet" }

    static func row(_ run: EvalRun) -> [String: Any] {
        [
            "id": run.id, "suite": run.suite.name, "suiteVersion": run.suite.version, "model": run.model, "status": run.status.rawValue,
            "tlp": run.label.tlp.label, "created": run.createdAt.utcDisplay, "completed": run.completedAt?.utcDisplay ?? "not finished",
            "score": format(run.score), "ciLow": format(run.ciLow), "ciHigh": format(run.ciHigh),
            "versionRef": run.modelVersionRef as Any, "inquiryRef": run.inquiryRef as Any, "failure": run.failure as Any,
        ]
    }

    static func summaryRows(_ run: EvalRun) -> [[String: String]] {
        [
            ["name": "Status", "value": run.status.rawValue],
            ["name": "Suite", "value": "\(run.suite.name) version \(run.suite.version), scorer \(run.suite.scorer.type.rawValue), epochs \(run.suite.epochs)"],
            ["name": "Model endpoint", "value": "\(run.model) at \(run.baseURL)"],
            ["name": "Score", "value": format(run.score)],
            ["name": "95% confidence interval", "value": run.ciLow == nil ? "not yet" : "\(format(run.ciLow)) to \(format(run.ciHigh))"],
            ["name": "Samples scored", "value": run.scored.map(String.init) ?? "not yet"],
            ["name": "Samples errored", "value": run.errors.map(String.init) ?? "not yet"],
            ["name": "Queued (UTC)", "value": run.createdAt.utcDisplay],
            ["name": "Finished (UTC)", "value": run.completedAt?.utcDisplay ?? "not finished"],
            ["name": "Access label", "value": "\(run.label.tlp.label), owned by organisation \(run.label.ownerOrg)"],
        ]
    }

    /// The run's stored statistics as the page shows them: pass@k, clustered standard errors and one
    /// table per breakdown key. A run without them says why instead.
    static func statisticsModel(_ run: EvalRun) -> [String: Any] {
        guard let stats = run.statistics else {
            let why = run.status == .done
                ? "This run finished before statistics were stored with runs; its score and interval are above."
                : "Statistics are recorded when the run finishes (it is \(run.status.rawValue))."
            return ["hasStatistics": false, "noStatistics": why]
        }
        let kinds = ["wilson": "a Wilson 95% interval (each sample scored once, scores 0 or 1)",
                     "bootstrap": "a bootstrap 95% interval (each sample scored once, graded scores)",
                     "clustered": "mean ± 1.96 standard errors clustered by sample (epochs of one sample are correlated)"]
        let epochs = stats.epochs == 1 ? "one epoch" : "up to \(stats.epochs) epochs"
        let sentence = "The interval is \(kinds[stats.interval] ?? stats.interval); standard error \(format(stats.stderr)); samples scored in \(epochs)."
        func interval(_ low: Double, _ high: Double) -> String { "\(format(low)) to \(format(high))" }
        return [
            "hasStatistics": true, "statisticsText": sentence, "epochs": stats.epochs,
            "hasPassAtK": !stats.passAtK.isEmpty,
            "passAtK": stats.passAtK.map { ["k": $0.k, "value": format($0.value), "samples": $0.samples] },
            "hasClustered": !stats.clustered.isEmpty,
            "clustered": stats.clustered.map {
                ["key": $0.key == "sample_id" ? "sample (over epochs)" : "metadata \($0.key)", "clusters": $0.clusters, "stderr": format($0.stderr),
                 "interval": interval($0.ciLow, $0.ciHigh)]
            },
            "breakdowns": stats.breakdowns.map { b in
                ["key": b.key, "categories": b.categories.map { c in
                    ["category": c.category, "samples": c.samples, "errors": c.errors,
                     "score": c.samples == 0 ? "no scored sample" : format(c.score),
                     "interval": c.samples == 0 ? "none" : "\(interval(c.ciLow, c.ciHigh)) (\(c.interval))"]
                }] as [String: Any]
            },
        ]
    }

    static func sampleRow(_ r: SampleRecord) -> [String: Any] {
        [
            "anchor": "s-\(r.epoch)-\(r.sampleID)", "id": r.sampleID, "epoch": r.epoch,
            "score": r.error == nil ? format(r.score?.value) : "error", "answer": r.score?.answer ?? "",
            "output": String((r.output ?? "").prefix(2000)), "error": r.error as Any, "attempts": r.timing.attempts,
        ]
    }
}

/// The SVG chart of a run's score and interval on a 0–1 axis, with one vertical line per capability
/// threshold of the EO 14409 policy for the run's suite, and the text alternative saying the same.
struct RunChart {
    let svg: String
    let text: String
    let criterionTexts: [String]

    init(run: EvalRun, policy: ThresholdPolicy?) {
        var thresholds: [(id: String, value: Double, bound: String)] = []
        for c in policy?.criteria ?? [] {
            if case .capabilityScore(let suite, let threshold, let bound) = c.kind, suite == run.suite.name {
                thresholds.append((c.id, threshold, bound.rawValue))
            }
        }
        // The verdict each criterion would give on this run's result alone, in the evaluator's own words.
        if let policy, let score = run.score, !thresholds.isEmpty {
            let description = ModelDescription(name: run.model, ledger: ComputeLedger(items: []), capabilityScores: [
                CapabilityScore(suite: run.suite.name, score: score, ciLow: run.ciLow, ciHigh: run.ciHigh, source: "this run"),
            ])
            criterionTexts = PolicyEvaluator.evaluate(description, against: policy).criterionResults
                .filter { r in thresholds.contains { $0.id == r.criterionID } }.map(\.text)
        } else {
            criterionTexts = []
        }
        let lo = min(0, run.ciLow ?? 0, thresholds.map(\.value).min() ?? 0)
        let hi = max(1, run.ciHigh ?? 1, thresholds.map(\.value).max() ?? 1)
        let width = 640.0, left = 40.0, right = 600.0
        func x(_ v: Double) -> Double { left + (v - lo) / (hi - lo) * (right - left) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var parts: [String] = []
        var sentences: [String] = []
        if let score = run.score, let l = run.ciLow, let h = run.ciHigh {
            sentences.append("Score \(BenchmarksWebController.format(score)), 95% interval \(BenchmarksWebController.format(l)) to \(BenchmarksWebController.format(h)).")
            parts.append(#"<line class="ci" x1="\#(f(x(l)))" x2="\#(f(x(h)))" y1="60" y2="60" stroke="currentColor" stroke-width="6"/>"#)
            parts.append(#"<circle class="point" cx="\#(f(x(score)))" cy="60" r="7"/>"#)
            parts.append(#"<text x="\#(f(x(score)))" y="40" text-anchor="middle">\#(BenchmarksWebController.format(score))</text>"#)
        } else {
            sentences.append("No score yet: the run is \(run.status.rawValue).")
            parts.append(#"<text x="\#(f(left))" y="64">no score yet (\#(run.status.rawValue))</text>"#)
        }
        if thresholds.isEmpty {
            let why = policy == nil ? "no eo-14409 policy in effect" : "no threshold set for suite \(run.suite.name) in eo-14409 version \(policy!.version)"
            sentences.append("No threshold set: \(why).")
            parts.append(#"<text class="unset" x="\#(f(left))" y="100">No threshold set (\#(esc(why)))</text>"#)
        }
        for t in thresholds {
            sentences.append("Threshold \(t.id): \(t.value), compared with the \(t.bound) bound.")
            parts.append(#"<line class="threshold" x1="\#(f(x(t.value)))" x2="\#(f(x(t.value)))" y1="20" y2="90" stroke-dasharray="4 3" stroke="currentColor"/>"#)
            parts.append(#"<text x="\#(f(x(t.value)))" y="104" text-anchor="middle">\#(esc(t.id)) \#(t.value) (\#(t.bound) bound)</text>"#)
        }
        for tick in 0...4 {
            let v = lo + (hi - lo) * Double(tick) / 4
            parts.append(#"<text class="tick" x="\#(f(x(v)))" y="130" text-anchor="middle">\#(String(format: "%.2f", v))</text>"#)
        }
        parts.append(#"<line x1="\#(f(left))" x2="\#(f(right))" y1="115" y2="115" stroke="currentColor"/>"#)
        text = sentences.joined(separator: " ")
        svg = #"<svg class="run-chart" role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 \#(f(width)) 140" width="100%" xmlns="http://www.w3.org/2000/svg">"#
            + #"<title id="chart-title">Score and confidence interval of \#(esc(run.suite.name)) against the EO 14409 capability thresholds</title>"#
            + #"<desc id="chart-desc">\#(esc(text))</desc>"# + parts.joined() + "</svg>"
    }
}

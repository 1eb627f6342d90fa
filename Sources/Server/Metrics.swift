// Prometheus metrics for /metrics: request counts and latency histograms by route pattern, method
// and status, and the database pool's figures read at scrape time. The registry is owned by the
// application (no global state), so every application built in a test has its own.
import Foundation
import Hummingbird
import HTTPTypes
import Platform
import Prometheus

final class AppMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let database: any Database
    private let poolMax: Gauge
    private let poolInUse: Gauge
    private let poolWaiting: Gauge
    private let committed: Gauge
    private let rolledBack: Gauge

    init(database: any Database) {
        self.database = database
        let engine = [("engine", database.engine.rawValue)]
        let registry = self.registry
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "clearinghouse", subsystem: "db", metricName: name, unitName: "", helpText: help),
                labels: engine)
        }
        poolMax = gauge("pool_connections_max", "Connections the database pool may open")
        poolInUse = gauge("pool_connections_in_use", "Connections lent out right now")
        poolWaiting = gauge("pool_waiting", "Requests waiting for a connection")
        committed = gauge("transactions_committed", "Write transactions committed since start")
        rolledBack = gauge("transactions_rolled_back", "Write transactions rolled back since start")
    }

    static var requestsDescriptor: MetricNameDescriptor {
        MetricNameDescriptor(
        namespace: "clearinghouse", subsystem: "http", metricName: "requests", unitName: "total",
        helpText: "Requests answered, by route pattern, method and status")
    }
    static var durationDescriptor: MetricNameDescriptor {
        MetricNameDescriptor(
        namespace: "clearinghouse", subsystem: "http", metricName: "request_duration", unitName: "seconds",
        helpText: "Time from request to response head, by route pattern, method and status")
    }

    func record(method: String, route: String, status: Int, elapsed: Duration) {
        let labels = [("method", method), ("route", route), ("status", String(status))]
        registry.makeCounter(descriptor: Self.requestsDescriptor, labels: labels).increment()
        registry.makeDurationHistogram(
            descriptor: Self.durationDescriptor, labels: labels,
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                      .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5)]
        ).record(elapsed)
    }

    func render() -> String {
        let stats = database.statistics()
        poolMax.set(Double(stats.maximumConnections))
        poolInUse.set(Double(stats.connectionsInUse))
        poolWaiting.set(Double(stats.waiting))
        committed.set(Double(stats.transactionsCommitted))
        rolledBack.set(Double(stats.transactionsRolledBack))
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

struct MetricsMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let metrics: AppMetrics

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        // Unmatched paths share one label so a scan of random URLs cannot grow the series without bound.
        let route = context.endpointPath ?? "unmatched"
        metrics.record(method: request.method.rawValue, route: route, status: response.status.code, elapsed: elapsed)
        return response
    }
}

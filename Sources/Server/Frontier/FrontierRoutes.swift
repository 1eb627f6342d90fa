// Wires the frontier program into the application: one store shared by the API and the pages,
// with the installation's frontier settings.
import Foundation
import Benchmarks
import Frontier
import Hummingbird
import Platform

enum FrontierRoutes {
    /// CLEARINGHOUSE_FRONTIER_MAX_WINDOW_DAYS sets the longest pre-release access window (default 30);
    /// a bad value throws, naming it (`serve` checks it before it opens anything).
    static func settings(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> FrontierSettings {
        try FrontierSettings.fromEnvironment(environment)
    }

    static func register(_ services: AppServices, api: RouterGroup<AppContext>, web: Router<AppContext>) {
        // The shipped policies and catalogue are parsed here; they are covered by the module's tests,
        // so a failure means a broken build, not bad input.
        guard let store = try? EvalRunReferences.frontierStore(services) else {
            preconditionFailure("the shipped frontier policies or accelerator catalogue do not parse")
        }
        FrontierAPIController(services: services, store: store).register(on: api)
        FrontierWebController(services: services, store: store).register(on: web)
    }
}

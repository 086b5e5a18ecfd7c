import ArgumentParser
import Coordinator
import Dispatch
import Foundation
import GGUF
import Llama
import Logging
import Server
import ServiceLifecycle
import Tokenizer
import Wire

/// The coordinator with an OpenAI-compatible HTTP API. It listens at once (GET /health says "loading") and
/// loads the stages on the workers in the background, retrying until they answer.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model split over workers through an OpenAI-compatible HTTP API.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var cluster: ClusterOptions

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port; the ready line says which).") var port = 8080
    @Option(name: .customLong("api-key"), help: "Require 'Authorization: Bearer KEY' (default: $BATON_API_KEY, else none).")
    var apiKey: String?
    @Option(name: .customLong("chat-template"), help: "Chat template: chatml, llama3, llama2, llama2-sys, llama2-sys-bos, llama2-sys-strip, mistral-v1, mistral-v3, mistral-v3-tekken, mistral-v7, mistral-v7-tekken (default: detected from the model).")
    var chatTemplate: String?
    @Option(help: "Another name clients may use as 'model'.") var alias: String?
    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may send nothing (mid-request or between requests) before it is closed.")
    var idleTimeout = 30
    @Flag(name: .customLong("exit-with-parent"), help: "Shut down when the process that started this one exits (tests).")
    var exitWithParent = false

    func validate() throws {
        guard !cluster.workerList.isEmpty else {
            throw ValidationError("--workers is required: serve drives stages on `baton worker` processes (see deploy/local.sh)")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
        guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be at least 1 second, got \(idleTimeout)") }
    }

    func run() async throws {
        Baton.bootstrapLogging(model.logLevel ?? .info)
        let logger = Logger(label: "baton.serve")
        let key = try Self.apiKey(flag: apiKey, environment: ProcessInfo.processInfo.environment)
        let file = try GGUFFile(path: model.model)
        let config = try model.config(file)
        let tokenizer = try Tokenizer(gguf: file)
        let template: ChatTemplate
        do {
            template = try ChatTemplate.resolve(templateText: try file.optional(GGUFKey.chatTemplate, file.string),
                                                override: chatTemplate)
        } catch let error as ChatTemplateError {
            throw ValidationError("\(error)")
        }
        let context = try model.contextLength(for: config)
        let metrics = ServerMetrics()
        let pipeline = try cluster.makePipeline(model: model, file: file, config: config, contextLength: context, logger: logger) {
            $0.onStageTimings = { timings in timings.forEach(metrics.stageStep) }
            $0.onPrefixReuse = { metrics.prefixReuse(positions: $0) }
        }
        let readiness = Readiness()
        let modelID = URL(fileURLWithPath: model.model).lastPathComponent
        let engine = ServingEngine(
            generator: Generator(tokenizer: tokenizer, pipeline: pipeline), contextLength: context, modelID: modelID,
            modelAliases: [model.model] + (alias.map { [$0] } ?? []), template: template,
            limiter: SessionLimiter(limit: cluster.maxSessions), metrics: metrics, readiness: readiness,
            stageStatus: { await pipeline.stageStatus() }, stageLiveness: { pipeline.stageLiveness() })
        logger.info("chat template \(template.family.rawValue)", metadata: ["context": "\(context)", "model": "\(modelID)"])
        let loader = StageLoader(readiness: readiness) { progress in
            try await pipeline.connect(progress: progress)
        }
        var options = ServerOptions()
        options.host = host
        options.port = port
        options.apiKey = key
        options.idleTimeout = .seconds(idleTimeout)
        try Self.checkExposure(host: host, apiKey: options.apiKey, insecure: cluster.security.insecure, logger: logger)
        let services: [any Service] = exitWithParent ? [loader, ParentWatch()] : [loader]
        try await BatonServer(engine: engine, options: options).run(services: services) { host, port in
            // One line on stdout so scripts and tests can wait for it and learn the port.
            FileHandle.standardOutput.write(Data("listening http://\(host):\(port)\n".utf8))
        }
    }

    /// Example values that must never guard a server (the old example env file shipped the first).
    static let placeholderKeys: Set<String> = ["change-me", "changeme", "CHANGE-ME", "CHANGEME", "secret", "password"]

    /// `--api-key`, else $BATON_API_KEY; empty means none. A placeholder is refused, naming how to make a key.
    static func apiKey(flag: String?, environment: [String: String]) throws -> String? {
        guard let key = flag ?? environment["BATON_API_KEY"], !key.isEmpty else { return nil }
        guard !placeholderKeys.contains(key) else {
            throw ValidationError("the API key is the placeholder \"\(key)\": set a real one (e.g. the output of "
                                  + "`head -c 32 /dev/urandom | base64`) with --api-key or BATON_API_KEY")
        }
        return key
    }

    /// An API reachable from other machines needs a key: without one anybody there could generate with these workers'
    /// memory and CPU. Refused (not merely warned about: a warning in a service log is easily missed) unless --insecure.
    static func checkExposure(host: String, apiKey: String?, insecure: Bool, logger: Logger) throws {
        guard apiKey == nil, !BindPolicy.isLocal(host: host) else { return }
        guard insecure else {
            throw ValidationError("refusing to serve the API on --host \(host) without an API key: anyone who reaches it could use "
                                  + "this cluster. Set $BATON_API_KEY (or --api-key), listen on 127.0.0.1, or pass --insecure.")
        }
        logger.warning("serving the API on \(host) WITHOUT an API key (--insecure): anyone who reaches it can use this cluster")
    }
}

/// Returns (which ends the service group: a graceful shutdown) once the parent process is gone.
struct ParentWatch: Service {
    let parent = getppid()

    func run() async throws {
        while getppid() == parent && !Task.isShuttingDownGracefully {
            try await Task.sleep(for: .milliseconds(500))
        }
    }
}

import ArgumentParser
import Coordinator
import Foundation
import Wire
import Worker

/// A worker's `--key`, `--authorized-keys` and `--insecure`.
struct WorkerSecurityOptions: ParsableArguments {
    @Option(help: ArgumentHelp("This worker's CURVE secret key file (`baton keygen PATH` writes PATH and PATH.pub).",
                               discussion: "With it every socket is encrypted and authenticated; coordinators pin PATH.pub."))
    var key: String?
    @Option(name: .customLong("authorized-keys"),
            help: "File of coordinator public keys (one per line) allowed to use this worker; every other peer is refused.")
    var authorizedKeys: String?
    @Flag(help: "Listen on a non-loopback address without keys (anyone who reaches the ports owns the worker).")
    var insecure = false

    func load() throws -> WorkerSecurity? {
        guard let key, let authorizedKeys else { return nil }
        return WorkerSecurity(keys: try KeyFiles.readSecret(key), authorizedKeys: try KeyFiles.readAuthorizedKeys(authorizedKeys))
    }
}

/// `baton keygen PATH`: a CURVE key pair for a worker or a coordinator.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a CURVE key pair: the secret key to PATH (mode 0600), the public key to PATH.pub.",
        discussion: """
            Give a worker --key PATH and list the coordinators' PATH.pub lines in its --authorized-keys file; give the \
            coordinator --key PATH and each worker's public key as tcp://HOST:PORT#KEY (or in --known-workers).
            """)

    @Argument(help: "Where to write the secret key; the public key goes to PATH.pub.") var path: String
    @Flag(help: "Replace an existing key (peers that pinned the old public key will refuse the new one).") var force = false

    func run() throws {
        let pair = try KeyFiles.generate(secretPath: path, overwrite: force)
        // The public key on stdout, so scripts can capture it.
        print(pair.publicKey.z85)
    }
}

/// A coordinator's `--key`, `--known-workers` and `--insecure`.
struct CoordinatorSecurityOptions: ParsableArguments {
    @Option(help: ArgumentHelp("This coordinator's CURVE secret key file (`baton keygen PATH`); workers list PATH.pub in --authorized-keys.",
                               discussion: "With it every link to the workers is encrypted and each worker must prove its pinned key."))
    var key: String?
    @Option(name: .customLong("known-workers"), help: "File of 'tcp://HOST:PORT PUBLIC_KEY' lines: the key each worker must prove.")
    var knownWorkers: String?
    @Flag(help: "Run without keys although workers are on other hosts (prompts and results travel in clear; anyone on the network can hijack stages); for serve, also an API on a non-loopback --host without --api-key.")
    var insecure = false

    /// The pipeline's keys, or nil without --key (then no worker may be pinned: a pin without a key of our own could
    /// not be checked).
    func load(workers: [String], standbys: [String] = []) throws -> PipelineSecurity? {
        let pinned = try (workers + standbys).map { try KeyFiles.splitPinned($0) }
        guard let key else {
            if knownWorkers != nil || pinned.contains(where: { $0.key != nil }) {
                throw ValidationError("pinned worker keys need --key: this coordinator's own secret key (`baton keygen PATH`)")
            }
            return nil
        }
        let known = try knownWorkers.map { try KeyFiles.readKnownWorkers($0) } ?? [:]
        let keys = try pinned.map { worker in
            guard let key = worker.key ?? known[worker.endpoint] else {
                throw ValidationError("no public key for worker \(worker.endpoint): give it as \(worker.endpoint)#KEY or list it in --known-workers")
            }
            return key
        }
        return PipelineSecurity(keys: try KeyFiles.readSecret(key), workerKeys: Array(keys.prefix(workers.count)),
                                standbyKeys: Array(keys.dropFirst(workers.count)))
    }
}

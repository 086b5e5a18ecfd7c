import ArgumentParser
import Coordinator
import Foundation
import GGUF
import Llama
import Logging

/// Prints how a model would be split over workers — layers, weight, KV and total bytes per worker against each
/// worker's budget — without loading anything. Fails, naming the shortfall, when the model does not fit.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show the layer split over the workers and the memory each stage needs; load nothing.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var cluster: ClusterOptions

    func validate() throws {
        guard !cluster.workerList.isEmpty else { throw ValidationError("--workers is required: the plan needs their memory budgets") }
    }

    func run() async throws {
        Baton.bootstrapLogging(model.logLevel ?? .warning)
        let file = try GGUFFile(path: model.model)
        let config = try model.config(file)
        let context = try model.contextLength(for: config)
        let footprint = try cluster.footprint(model: model, file: file, config: config, contextLength: context)
        let pipeline = try cluster.makePipeline(model: model, file: file, config: config, contextLength: context,
                                                logger: Logger(label: "baton.plan"))
        let offers = try await pipeline.survey()
        print("\(model.model): \(config.blockCount) layers, context \(context), \(cluster.maxSessions) sessions per worker, "
              + "split \(cluster.split)")
        let plan: StagePlan
        do {
            plan = cluster.split == "auto" ? try StagePlan.auto(footprint, budgets: offers.map(\.budgetBytes),
                                                                          threads: offers.map(\.threads)) : pipeline.plan
        } catch let error as PlanError {
            throw PlanFailure(description: "\(error)")
        }
        let table = PlanTable(plan: plan, footprint: footprint, offers: offers)
        print(table.render())
        if let over = table.overBudget.first {
            throw PlanFailure(description: "stage \(over) does not fit its worker's budget: use --split auto, add memory or a worker, "
                                  + "or lower --ctx-size / --max-sessions")
        }
    }
}

/// Printed as "Error: …" with exit status 1 (not a usage error).
struct PlanFailure: Error, CustomStringConvertible {
    let description: String
}

/// One row per stage: which worker, its budget, the layers and what they need.
struct PlanTable {
    let plan: StagePlan
    let footprint: ModelFootprint
    let offers: [WorkerOffer]

    var needs: [StageFootprint] {
        plan.ranges.enumerated().map { i, layers in
            footprint.stage(layers, index: i, of: plan.ranges.count, threads: offers.indices.contains(i) ? offers[i].threads : 1)
        }
    }

    /// Stages whose need exceeds their worker's budget.
    var overBudget: [Int] {
        zip(needs, offers).enumerated().filter { $1.0.totalBytes > $1.1.budgetBytes }.map(\.offset)
    }

    func render() -> String {
        let header = ["stage", "worker", "layers", "weights", "KV", "scratch", "total", "budget", "headroom"]
        let rows = zip(needs, offers).enumerated().map { i, pair -> [String] in
            let (need, offer) = pair
            let range = plan.ranges[i]
            return ["\(i)", offer.endpoint, "\(range.lowerBound)-\(range.upperBound - 1)",
                    StageFootprint.format(need.weightBytes), StageFootprint.format(need.kvBytes),
                    StageFootprint.format(need.scratchBytes), StageFootprint.format(need.totalBytes),
                    StageFootprint.format(offer.budgetBytes), StageFootprint.format(offer.budgetBytes - need.totalBytes)]
        }
        return alignedColumns([header] + rows, leftAligned: 2)
    }
}

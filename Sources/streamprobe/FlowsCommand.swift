import ArgumentParser
import Analyzer
import Flows
import Foundation
import Trees

extension FlowsFormat: ExpressibleByArgument {}

/// `streamprobe flows CAPTURE`: the flow table of a capture.
struct FlowsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flows",
        abstract: "Lists the TCP/UDP flows of a capture: client, server, packets and bytes each way, duration, end, service name.",
        discussion: """
            Flows are sorted by total bytes. The client is the sender of the first SYN; without one, the side \
            with the ephemeral port; else the first sender. Service names come from the TLS ClientHello (SNI) \
            or from DNS answers seen in the capture. A flow ends on FIN both ways, RST, 300 s idle, or the end \
            of the capture. After the table: packets by link, network and transport protocol, and decoding anomalies.

            With -m/--model (a flow model such as spotify-flow), each flow also gets a class, a \
            confidence and what decided it (decided_by): its service name, one of the model's ports, or \
            the model's trees on whole-flow features (flow-v1) for flows with neither; in every format.
            """)

    @Argument(help: "Capture files (pcap or pcapng; - is standard input).", completion: Completions.captures)
    var captures: [String]

    @Option(help: "Output format: text, json or csv (csv: the flow table only).")
    var format: FlowsFormat = .text

    @OptionGroup var traffic: FilterOption
    var filter: String? { traffic.filter }

    @Option(help: "Show only the N largest flows.")
    var limit: Int?

    @OptionGroup var modelOption: ModelOption
    var model: String? { modelOption.model }

    @Flag(help: "CSV: append each flow's flow-v1 features (for training flow models).")
    var flowFeatures = false

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
        if flowFeatures && format != .csv { throw ValidationError("--flow-features needs --format csv") }
    }

    func run() throws {
        var classifier: FlowClassifier?
        if let model {
            do {
                classifier = try FlowClassifier(model: TreesCLI.resolveModel(model))
            } catch let error as ModelError {
                throw exitError(error)
            }
        }
        // Several captures: one report after another (text), JSON Lines, or one CSV table with a
        // leading `capture` column; a capture that cannot be read is reported and the others go on.
        let several = captures.count > 1
        var failed = 0
        for (i, path) in captures.enumerated() {
            var report: FlowsReport
            do {
                report = try FlowsReport.build(path: path, filter: filter,
                                           configuration: FlowTableConfiguration(maximumLiveFlows: traffic.maximumLiveFlows),
                                           classifier: classifier, features: flowFeatures)
            } catch {
                guard several else { throw exitError(error) }
                failed += 1
                printError("\(error)")
                continue
            }
            report.csvIncludesFeatures = flowFeatures
            if let warning = report.warning { printError("warning: \(warning)") }
            switch format {
            case .text: FileHandle.standardOutput.write(Data(((i > 0 ? "\n" : "") + report.text(limit: limit)).utf8))
            case .json: FileHandle.standardOutput.write(Data(report.json(limit: limit, pretty: !several).utf8))
            case .csv:
                report.writeCSV(limit: limit, captureColumn: several, header: i == 0 || failed == i) {
                    FileHandle.standardOutput.write(Data(buffer: $0))
                }
            }
        }
        if failed > 0 { throw ExitCode(ExitStatus.batchPartialFailure) }
    }
}

import ArgumentParser
import Analyzer
import Foundation

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
            """)

    @Argument(help: "A pcap or pcapng capture file.")
    var capture: String

    @Option(help: "Output format: text, json or csv (csv: the flow table only).")
    var format: FlowsFormat = .text

    @Option(help: "A BPF filter applied while reading (tcpdump syntax).")
    var filter: String?

    @Option(help: "Show only the N largest flows.")
    var limit: Int?

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
    }

    func run() throws {
        let report: FlowsReport
        do {
            report = try FlowsReport.build(path: capture, filter: filter)
        } catch {
            throw exitError(error)
        }
        if let warning = report.warning { printError("warning: \(warning)") }
        FileHandle.standardOutput.write(Data(report.render(format, limit: limit).utf8))
    }
}

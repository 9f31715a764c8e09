import Analyzer
import Flows
import ArgumentParser
import Capture
import Features
import Foundation
import Trees
import Wire

/// Prints one line on stderr, prefixed with the tool's name.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("streamprobe: \(message)\n".utf8))
}

/// Reports an error the way every subcommand does (one line) and turns it into its exit code.
func exitError(_ error: Error) -> ExitCode {
    printError("\(error)")
    return ExitCode(ExitStatus.code(for: error))
}

/// The one error path of a command: usage errors and exit codes go on as they are; any other
/// error (a library's) becomes one line on stderr and its documented exit code.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as ExitCode {
        throw e
    } catch let e as ValidationError {
        throw e
    } catch let e as CleanExit {
        throw e
    } catch {
        throw exitError(error)
    }
}

/// `--scope`: which packets form the analysed unit.
enum ScopeName: String, ExpressibleByArgument, CaseIterable {
    case streams, reference, all
}

func analysisScope(_ scope: ScopeName, client: String?) throws -> AnalysisScope {
    if let client {
        guard let address = IPAddress(client) else { throw ValidationError("--client: '\(client)' is not an IPv4 or IPv6 address") }
        return .client(address)
    }
    switch scope {
    case .streams: return .streams
    case .reference: return .reference
    case .all: return .all
    }
}

/// Checks before any work that an output file can be created (exit 66, not at the end of a long job).
enum OutputCheck {
    static func writable(_ path: String) throws { try OutputFile.checkWritable(path) }
}

/// Shell completions for option values (`streamprobe --generate-completion-script bash|zsh|fish`).
enum Completions {
    /// Capture files by extension (any file is accepted; captures are recognised by content).
    static let captures = CompletionKind.file(extensions: ["pcap", "pcapng", "cap", "ntar", "dmp"])
    /// Embedded model names and `*.json` files are both valid for -m.
    static let models = CompletionKind.custom { _, _, prefix in
        let names = ModelLocator.available(embedded: EmbeddedModels.models).map(\.name)
        return names.filter { $0.hasPrefix(prefix) }
    }
    /// Interfaces a live capture can open.
    static let interfaces = CompletionKind.custom { _, _, prefix in
        ((try? LiveSource.interfaceLines()) ?? []).compactMap { line in
            line.split(separator: ".", maxSplits: 1).last.map { String($0.split(separator: " ").first ?? "") }
        }.filter { $0.hasPrefix(prefix) }
    }
}

/// `--filter` and `--max-flows`, the same in every command that reads captures (analyze, features, flows).
struct FilterOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A BPF filter applied while reading (tcpdump syntax, compiled by libpcap).", valueName: "expression"))
    var filter: String?

    @Option(name: .long, help: ArgumentHelp(
        "At most this many flows live at once (default 262,144; about 200 bytes each). Beyond it flows are ended early (the oldest of at most two packets first) and a warning counts them: a smaller limit bounds memory on a busy link, at the price of those flows.",
        valueName: "n"))
    var maxFlows: Int?

    var maximumLiveFlows: Int { maxFlows ?? FlowTableConfiguration.defaultMaximumLiveFlows }

    func validate() throws {
        let limits = FlowTableConfiguration.liveFlowLimits
        if let maxFlows, !limits.contains(maxFlows) {
            throw ValidationError("--max-flows: \(maxFlows) is not between \(limits.lowerBound) and \(limits.upperBound)")
        }
    }
}

/// `--filter` and `--client`, the same in every command that analyses streams (analyze, features):
/// which packets are read, and one address whose packets form one unit.
struct TrafficOptions: ParsableArguments {
    @OptionGroup var filterOption: FilterOption
    var filter: String? { filterOption.filter }
    var maximumLiveFlows: Int { filterOption.maximumLiveFlows }

    @Option(name: .long, help: ArgumentHelp("Every IP packet to or from this address, as one unit (one stream), instead of the per-client streams.",
                                            valueName: "address"))
    var client: String?

    func validate() throws {
        if let client, IPAddress(client) == nil { throw ValidationError("--client: '\(client)' is not an IPv4 or IPv6 address") }
    }
}

/// `-m/--model`, the same in every command that reads a model (analyze, features, flows, evaluate,
/// history add): one spelling, one help text, model-name completion. What the model does, and the
/// default, is each command's own (its discussion says).
struct ModelOption: ParsableArguments {
    @Option(name: [.customShort("m"), .long],
            help: ArgumentHelp("A model: the name of an embedded model (`streamprobe models` lists them) or a model file.",
                               valueName: "name|path"),
            completion: Completions.models)
    var model: String?
}

/// `-j/--jobs`, the same in every command that works in parallel (analyze, evaluate, train,
/// simulate, history add): threads, every core by default; no report, model or capture depends on it
/// (evaluate --timing measures speed on that many threads).
struct JobsOption: ParsableArguments {
    @Option(name: [.customShort("j"), .long], parsing: .unconditional,
            help: ArgumentHelp("Threads working at once (default: every core); reports, models and captures are the same for any number.",
                               valueName: "n"))
    var jobs: Int?

    /// The number of threads to use.
    var count: Int { jobs ?? ProcessInfo.processInfo.activeProcessorCount }

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }
}

/// `--window`, the same in analyze and features: the window length in seconds instead of the
/// model's (analyze, features -m) or the feature set's (features). `train --window` records the
/// length in the model it writes and also takes `--window-seconds`, so it declares its own.
struct WindowOption: ParsableArguments {
    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Window length in seconds (default: the model's, else the feature set's).", valueName: "seconds"))
    var window: Double?

    func validate() throws {
        if let window, !(window > 0 && window <= 3600) { throw ValidationError("--window must be between 0 and 3600 seconds") }
    }
}

/// `--feature-set` (alias `--set`), the same in features and train.
struct FeatureSetOption: ParsableArguments {
    @Option(name: [.customLong("feature-set"), .customLong("set")],
            help: ArgumentHelp("Feature set (docs/features.md): \(FeatureSet.knownNames.joined(separator: ", ")), or \(StreamSummary.setName) (one row per session).",
                               valueName: "set"),
            completion: .list(FeatureSet.knownNames + [StreamSummary.setName]))
    var name: String?
}

/// `--format text|json`, the same in analyze, evaluate and models.
enum TextOrJSON: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct TextOrJSONFormat: ParsableArguments {
    @Option(name: .long, help: "Output format: text, or json (schema_version 1; docs/json.md).")
    var format: TextOrJSON = .text

    var json: Bool { format == .json }
}

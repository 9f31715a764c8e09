import Analyzer
import ArgumentParser
import Foundation
import Capture
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

/// Writes text to a file, or to stdout for "-".
func writeOutput(_ text: String, to path: String?) throws {
    if let path, path != "-" {
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw AnalysisError(source: path, problem: "cannot write: \(error.localizedDescription)", exitCode: ExitStatus.unreadableInput)
        }
    } else {
        FileHandle.standardOutput.write(Data(text.utf8))
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

/// Checks before any work that an output file can be created (its folder exists and is writable),
/// so a long job does not fail at its last step.
enum OutputCheck {
    static func writable(_ path: String) throws {
        guard path != "-" else { return }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw AnalysisError(source: path, problem: "is a directory, not a file to write", exitCode: ExitStatus.unreadableInput) }
            guard FileManager.default.isWritableFile(atPath: path) else {
                throw AnalysisError(source: path, problem: "cannot be written (permission denied)", exitCode: ExitStatus.unreadableInput)
            }
            return
        }
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AnalysisError(source: path, problem: "cannot be created: no such folder \(folder)", exitCode: ExitStatus.unreadableInput)
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw AnalysisError(source: path, problem: "cannot be created: the folder \(folder) is not writable", exitCode: ExitStatus.unreadableInput)
        }
    }
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

/// `--filter` and `--client`, the same in every command that reads captures (analyze, features, flows):
/// which packets are read, and one address whose packets form one unit.
struct TrafficOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A BPF filter applied while reading (tcpdump syntax, compiled by libpcap).", valueName: "expression"))
    var filter: String?

    @Option(name: .long, help: ArgumentHelp("Every IP packet to or from this address, as one unit (one stream), instead of the per-client streams.",
                                            valueName: "address"))
    var client: String?

    func validate() throws {
        if let client, IPAddress(client) == nil { throw ValidationError("--client: '\(client)' is not an IPv4 or IPv6 address") }
    }
}

import Analyzer
import ArgumentParser
import Capture
import Foundation
import History
import Trees

/// The default history database: in the current directory.
let defaultHistoryDatabase = "streamprobe-history.sqlite"

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "A listening history in SQLite: plays estimated from captures, and summaries of them.",
        discussion: """
            `history add` analyses captures and stores their plays (start, play time, bytes, tier, skipped, client) \
            in a SQLite database, keyed by the SHA-256 of each capture's bytes: adding the same capture twice changes \
            nothing. `analyze --live --history FILE` appends plays as they complete. `history` (`history summary`) \
            prints listening time per day and per hour of day, plays, tier share, per client, skips. The plays are \
            estimates from traffic (docs/plays.md); the schema is in docs/history.md.

            \(ExitStatusHelp.text)
            """,
        subcommands: [HistorySummaryCommand.self, HistoryAddCommand.self],
        defaultSubcommand: HistorySummaryCommand.self
    )
}

struct HistoryAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Analyse captures and add their plays to the history database (a capture already there is skipped).",
        discussion: "The plays come from the model's answers: spotify-quality unless -m names another.")

    @Argument(help: "Capture files (pcap or pcapng).")
    var captures: [String] = []

    @Option(name: .customLong("dir"), help: "Add every capture below this directory (recognised by content).")
    var directory: String?

    @Option(name: .long, help: "The history database (SQLite; created if missing).")
    var db: String = defaultHistoryDatabase

    @OptionGroup var modelOption: ModelOption
    var model: String { modelOption.model ?? "spotify-quality" }

    @OptionGroup var jobs: JobsOption

    @Flag(name: [.customShort("q"), .long], help: "Print only the final count line.")
    var quiet = false

    func validate() throws {
        if captures.isEmpty && directory == nil { throw ValidationError("give capture files or --dir DIR") }
        if !captures.isEmpty && directory != nil { throw ValidationError("give capture files or --dir DIR, not both") }
        if captures.contains(FileSource.standardInput) { throw ValidationError("history add reads files (their bytes are the key), not standard input") }
    }

    func run() throws {
        var paths = captures
        let outcome: HistoryImport.Outcome
        do {
            let bound = try BoundModel(try ModelLocator.resolve(nameOrPath: model, embedded: EmbeddedModels.models))
            if let directory { paths = try CaptureBatch.paths(in: directory) }
            outcome = try HistoryImport(paths: paths, database: db, model: bound, jobs: jobs.count, quiet: quiet).run()
        } catch {
            throw exitError(error)
        }
        if outcome.exitStatus != ExitStatus.success { throw ExitCode(outcome.exitStatus) }
    }
}

struct HistorySummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Listening time per day and per hour of day, plays, tier share, per client, skips.")

    @Option(name: .long, help: "The history database (SQLite).")
    var db: String = defaultHistoryDatabase

    @Option(name: .long, help: "Output format: text, json or csv.")
    var format: Format = .text

    @Option(name: .long, help: "Only this client (its address, as the report names it).")
    var client: String?

    @Option(name: .long, help: "Only plays that started on or after this day (YYYY-MM-DD, UTC unless --local).")
    var since: String?

    @Option(name: .long, help: "Only plays that started before this day (YYYY-MM-DD, UTC unless --local).")
    var until: String?

    @Flag(name: .long, help: "Count days and hours in local time (default: UTC).")
    var local = false

    @Option(name: .long, help: ArgumentHelp("Also write the history as a self-contained HTML page (per day, hour of day, tiers, clients).",
                                            valueName: "file"))
    var html: String?

    enum Format: String, ExpressibleByArgument { case text, json, csv }

    func day(_ s: String?) throws -> Double? {
        guard let s else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = local ? TimeZone.current : TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        guard let d = f.date(from: s) else { throw ValidationError("'\(s)' is not a day (YYYY-MM-DD)") }
        return d.timeIntervalSince1970
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: db) else {
            printError("\(db): no history database (create it with `streamprobe history add CAPTURES --db \(db)`)")
            throw ExitCode(ExitStatus.unreadableInput)
        }
        let filter = SummaryFilter(client: client, since: try day(since), until: try day(until), localTime: local)
        let summary: HistorySummary
        do {
            summary = try HistoryDatabase(path: db).summary(filter)
        } catch {
            throw exitError(error)
        }
        if let html {
            do { try OutputFile.write(HistoryHTML.render(summary), to: html) } catch { throw exitError(error) }
        }
        switch format {
        case .text: print(HistoryFormats.text(summary), terminator: "")
        case .json: print(HistoryFormats.json(summary))
        case .csv: print(HistoryFormats.csv(summary), terminator: "")
        }
    }
}

/// `analyze --live --history FILE`: the live capture's entry in the history, opened before the capture starts
/// (before root is given up), with each play appended as the analyzer decides it.
final class LiveHistory {
    let database: HistoryDatabase
    let capture: Int64
    private(set) var appended = 0

    init(path: String, model: String) throws {
        database = try HistoryDatabase(path: path)
        let key = "live:\(UUID().uuidString)"
        capture = try database.beginLive(key: key, path: "live \(ISO8601DateFormatter().string(from: Date()))", model: model)
    }

    func append(client: String, play: PlayReport) {
        do {
            try database.append(play, client: client, capture: capture)
            appended += 1
        } catch {
            printError("history: \(error)")
        }
    }

    func finish(_ report: CaptureReport) throws {
        // Plays of streams chosen by volume (decided after the capture) come only with the final report; a stream
        // the final report does not call audio keeps no plays.
        for stream in report.streams {
            if let plays = stream.plays {
                for p in plays { try database.append(p, client: stream.client, capture: capture) }
            } else {
                try database.removePlays(capture: capture, client: stream.client)
            }
        }
        try database.finishLive(capture: capture, report: report)
    }
}

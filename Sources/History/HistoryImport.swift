import Analyzer
import Foundation

/// `history add`: analyses captures in parallel and appends each one's plays to a history
/// database, in path order, skipping captures already there (by the SHA-256 of their bytes).
public struct HistoryImport: Sendable {
    public var paths: [String]
    public var database: String
    public var model: BoundModel
    public var jobs: Int
    /// No line per capture, only the summary line and errors.
    public var quiet: Bool

    public init(paths: [String], database: String, model: BoundModel, jobs: Int, quiet: Bool) {
        self.paths = paths; self.database = database; self.model = model; self.jobs = jobs; self.quiet = quiet
    }

    /// What an import came to.
    public struct Outcome: Sendable, Equatable {
        public var added = 0
        public var known = 0
        public var failed = 0
        public var plays = 0
        /// 0, or 2 (`ExitStatus.batchPartialFailure`) when any capture failed.
        public var exitStatus: Int32 { failed > 0 ? ExitStatus.batchPartialFailure : ExitStatus.success }
        /// The closing line: `DB: N captures added (P plays), K already there, F failed`.
        public func line(database: String) -> String {
            "\(database): \(added) captures added (\(plays) plays), \(known) already there, \(failed) failed"
        }
    }

    enum Analysed: Sendable {
        case known
        case analysed(String, Int64, CaptureReport)
        case failed(String)
    }

    /// Runs the import (opens the database first: its errors are thrown); a capture that fails is
    /// reported on `console` and counted, and never stops the others.
    public func run(on console: Console = .standard) throws -> Outcome {
        let history = try HistoryDatabase(path: database)
        let database = self.database, model = self.model, paths = self.paths, quiet = self.quiet
        var outcome = Outcome()
        OrderedBatch.run(paths, jobs: jobs, work: { path -> Analysed in
            do {
                let hash = try SHA256.hexDigest(ofFile: path)
                // A capture already in the database is not analysed again. Each worker opens its own connection.
                if try HistoryDatabase(path: database).contains(sha256: hash) { return .known }
                let report = try CaptureAnalyzer(model: model, options: AnalysisOptions()).analyze(path: path)
                let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
                return .analysed(hash, size, report)
            } catch {
                return .failed("\(path): \(error)")
            }
        }, deliver: { i, result in
            switch result {
            case .known:
                outcome.known += 1
                if !quiet { console.out("\(paths[i]): already in the history") }
            case .analysed(let hash, let size, let report):
                do {
                    let n = report.streams.reduce(0) { $0 + ($1.plays?.count ?? 0) }
                    if try history.add(sha256: hash, path: paths[i], fileBytes: size, report: report) {
                        outcome.added += 1
                        outcome.plays += n
                        if !quiet { console.out("\(paths[i]): \(n) plays added") }
                    } else {
                        outcome.known += 1
                        if !quiet { console.out("\(paths[i]): already in the history") }
                    }
                } catch {
                    outcome.failed += 1
                    console.err("\(paths[i]): \(error)")
                }
            case .failed(let message):
                outcome.failed += 1
                console.err(message)
            }
        })
        console.out(outcome.line(database: database))
        return outcome
    }
}

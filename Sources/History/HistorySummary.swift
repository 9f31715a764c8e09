import Analyzer
import Foundation
import GRDB

/// One row of a summary table: a key (a day, an hour, a tier, a client) and what was played under it.
public struct SummaryRow: Codable, Sendable, Equatable {
    public var key: String
    public var plays: Int
    public var listeningSeconds: Double
    public var skips: Int
    /// Share of the listening time (tier table), 0–1.
    public var share: Double?
    public var first: Double?
    public var last: Double?
    enum CodingKeys: String, CodingKey {
        case key, plays, listeningSeconds = "listening_s", skips, share, first = "first_epoch", last = "last_epoch"
    }
}

/// What `streamprobe history` prints: totals, then listening per day, per hour of day, per tier, per client.
public struct HistorySummary: Codable, Sendable {
    public var database: String
    /// `UTC` or `local` (days and hours are counted in this time).
    public var time: String
    public var captures: Int
    public var plays: Int
    public var listeningSeconds: Double
    public var skips: Int
    public var clients: Int
    public var perDay: [SummaryRow]
    public var perHour: [SummaryRow]
    public var tiers: [SummaryRow]
    public var perClient: [SummaryRow]
    enum CodingKeys: String, CodingKey {
        case database, time, captures, plays, listeningSeconds = "listening_s", skips, clients
        case perDay = "per_day", perHour = "per_hour", tiers, perClient = "per_client"
    }
}

public struct SummaryFilter: Sendable {
    public var client: String?
    /// Epoch seconds, inclusive start and exclusive end.
    public var since: Double?
    public var until: Double?
    public var localTime = false
    public init(client: String? = nil, since: Double? = nil, until: Double? = nil, localTime: Bool = false) {
        self.client = client; self.since = since; self.until = until; self.localTime = localTime
    }
}

extension HistoryDatabase {
    public func summary(_ filter: SummaryFilter = SummaryFilter()) throws -> HistorySummary {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let c = filter.client { conditions.append("client = ?"); arguments.append(c) }
        if let s = filter.since { conditions.append("start_epoch >= ?"); arguments.append(s) }
        if let u = filter.until { conditions.append("start_epoch < ?"); arguments.append(u) }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let args = StatementArguments(arguments)
        let modifier = filter.localTime ? ", 'localtime'" : ""
        return try db.read { db in
            func table(_ key: String, order: String) throws -> [SummaryRow] {
                try Row.fetchAll(db, sql: """
                    SELECT \(key) AS k, COUNT(*) AS n, TOTAL(play_s) AS t, TOTAL(skipped) AS s, MIN(start_epoch) AS f, MAX(start_epoch) AS l
                    FROM play \(whereClause) GROUP BY k ORDER BY \(order)
                    """, arguments: args).map { r in
                    SummaryRow(key: (r["k"] as String?) ?? "-", plays: r["n"], listeningSeconds: r["t"], skips: Int((r["s"] as Double).rounded()),
                               share: nil, first: r["f"], last: r["l"])
                }
            }
            let captures = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM capture") ?? 0
            let total = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS n, TOTAL(play_s) AS t, TOTAL(skipped) AS s, COUNT(DISTINCT client) AS c FROM play \(whereClause)
                """, arguments: args)!
            let perDay = try table("date(start_epoch, 'unixepoch'\(modifier))", order: "k")
            var perHour = try table("strftime('%H', start_epoch, 'unixepoch'\(modifier))", order: "k")
            perHour = perHour.map { var r = $0; r.first = nil; r.last = nil; return r }
            let listening: Double = total["t"]
            var tiers = try table("COALESCE(tier, 'unknown')", order: "t DESC")
            for i in tiers.indices {
                tiers[i].share = listening > 0 ? tiers[i].listeningSeconds / listening : 0
                tiers[i].first = nil; tiers[i].last = nil
            }
            let perClient = try table("client", order: "t DESC")
            return HistorySummary(database: path, time: filter.localTime ? "local" : "UTC", captures: captures, plays: total["n"],
                                  listeningSeconds: listening, skips: Int((total["s"] as Double).rounded()), clients: total["c"],
                                  perDay: perDay, perHour: perHour, tiers: tiers, perClient: perClient)
        }
    }
}

/// Text, JSON and CSV renderings of a summary.
public enum HistoryFormats {
    public static func json(_ s: HistorySummary) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: (try? e.encode(s)) ?? Data(), as: UTF8.self)
    }

    /// One CSV table: `table,key,plays,listening_s,skips,share,first_epoch,last_epoch`; `table` is
    /// `total`, `day`, `hour`, `tier` or `client`.
    public static func csv(_ s: HistorySummary) -> String {
        var lines = ["table,key,plays,listening_s,skips,share,first_epoch,last_epoch"]
        func f(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "" }
        func add(_ table: String, _ r: SummaryRow) {
            lines.append([table, quoted(r.key), "\(r.plays)", f(r.listeningSeconds), "\(r.skips)", r.share.map { String(format: "%.4f", $0) } ?? "",
                          f(r.first), f(r.last)].joined(separator: ","))
        }
        add("total", SummaryRow(key: "all", plays: s.plays, listeningSeconds: s.listeningSeconds, skips: s.skips, share: nil, first: nil, last: nil))
        for r in s.perDay { add("day", r) }
        for r in s.perHour { add("hour", r) }
        for r in s.tiers { add("tier", r) }
        for r in s.perClient { add("client", r) }
        return lines.joined(separator: "\n") + "\n"
    }

    static func quoted(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func duration(_ seconds: Double) -> String {
        let m = Int((seconds / 60).rounded())
        return m >= 60 ? "\(m / 60) h \(String(format: "%02d", m % 60)) min" : "\(m) min"
    }

    public static func text(_ s: HistorySummary) -> String {
        var out = "history \(s.database): \(s.captures) captures, \(s.plays) plays, \(duration(s.listeningSeconds)) listened, "
            + "\(s.skips) skipped, \(s.clients) clients (plays are estimated from traffic: docs/plays.md)\n"
        guard s.plays > 0 else { return out }
        func rows(_ title: String, _ rows: [SummaryRow], share: Bool = false) {
            out += "\n\(title)\n"
            let width = max(8, rows.map(\.key.count).max() ?? 0)
            for r in rows {
                let key = r.key.padding(toLength: width, withPad: " ", startingAt: 0)
                var line = "  \(key)  \(String(format: "%5d", r.plays)) plays  \(duration(r.listeningSeconds).leftPad(12))  \(String(format: "%4d", r.skips)) skipped"
                if share, let sh = r.share { line += String(format: "  %5.1f %%", sh * 100) }
                out += line + "\n"
            }
        }
        rows("per day (\(s.time)):", s.perDay)
        rows("per hour of day (\(s.time), by play start):", s.perHour)
        rows("tiers (share of listening time):", s.tiers, share: true)
        rows("per client:", s.perClient)
        return out
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

import Analyzer
import Foundation
import GRDB

/// The listening history: captures (keyed by the SHA-256 of their bytes) and the plays estimated in them,
/// in one SQLite file (schema and migrations: docs/history.md).
///
/// Several processes may write the same file at once (a live capture appending plays while `history add`
/// runs): the database is in WAL mode, every write is one `BEGIN IMMEDIATE` transaction, and a writer that
/// finds the file locked waits (busy timeout) instead of failing.
public final class HistoryDatabase: Sendable {
    public let path: String
    let db: DatabaseQueue
    /// How long a writer waits for another process's transaction before giving up.
    public static let busyTimeout: TimeInterval = 60

    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(Self.busyTimeout)
        config.journalMode = .wal
        config.foreignKeysEnabled = true
        config.label = "streamprobe-history"
        db = try Self.open(path: path, configuration: config)
        try migrate()
    }

    /// Opening sets WAL mode, which needs the file to itself for a moment; a second process opening it in that
    /// moment gets SQLITE_BUSY at once (SQLite calls no busy handler for that step), so the open is tried
    /// again, as a locked write would wait, up to the busy timeout. Found by `testTwoConcurrentWriters`
    /// under load: `SQLite error 5: database is locked - while executing PRAGMA journal_mode = WAL`.
    static func open(path: String, configuration: Configuration) throws -> DatabaseQueue {
        let deadline = Date().addingTimeInterval(busyTimeout)
        while true {
            do {
                return try DatabaseQueue(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }

    /// The schema's history. Never edit a registered migration: add the next one.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE capture (
                    id INTEGER PRIMARY KEY,
                    sha256 TEXT NOT NULL UNIQUE,
                    path TEXT NOT NULL,
                    source TEXT NOT NULL CHECK (source IN ('file', 'live')),
                    file_bytes INTEGER,
                    packets INTEGER,
                    duration_s REAL,
                    model TEXT NOT NULL,
                    added_at REAL NOT NULL,
                    finished INTEGER NOT NULL DEFAULT 1
                );
                CREATE TABLE play (
                    id INTEGER PRIMARY KEY,
                    capture_id INTEGER NOT NULL REFERENCES capture(id) ON DELETE CASCADE,
                    client TEXT NOT NULL,
                    start_epoch REAL NOT NULL,
                    start_s REAL NOT NULL,
                    play_s REAL NOT NULL,
                    bytes INTEGER NOT NULL,
                    tier TEXT,
                    skipped INTEGER NOT NULL CHECK (skipped IN (0, 1)),
                    complete INTEGER NOT NULL CHECK (complete IN (0, 1)),
                    basis TEXT NOT NULL,
                    UNIQUE (capture_id, client, start_epoch)
                );
                CREATE INDEX play_start ON play(start_epoch);
                CREATE INDEX play_client ON play(client, start_epoch);
                """)
        }
        return m
    }

    private func migrate() throws {
        let migrator = Self.migrator
        // Two processes opening a new file at once may both start the first migration: the loser's fails on
        // the tables the winner made; the file is then migrated, which is all that was asked.
        for attempt in 0..<5 {
            do {
                try migrator.migrate(db)
                return
            } catch {
                if try db.read({ try migrator.hasCompletedMigrations($0) }) { return }
                if attempt == 4 { throw error }
                usleep(100_000)
            }
        }
    }

    /// The migrations applied to the file, in order.
    public func appliedMigrations() throws -> [String] {
        try db.read { try Self.migrator.appliedMigrations($0) }
    }

    /// True when a capture with these bytes is in the database.
    public func contains(sha256: String) throws -> Bool {
        try db.read { try Bool.fetchOne($0, sql: "SELECT EXISTS (SELECT 1 FROM capture WHERE sha256 = ?)", arguments: [sha256]) ?? false }
    }

    /// Adds an analysed capture file and its plays in one transaction. Returns false (and changes nothing)
    /// when a capture with the same bytes is there already.
    @discardableResult
    public func add(sha256: String, path: String, fileBytes: Int64, report: CaptureReport) throws -> Bool {
        try write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM capture WHERE sha256 = ?)", arguments: [sha256]) ?? false {
                return false
            }
            try db.execute(sql: """
                INSERT INTO capture (sha256, path, source, file_bytes, packets, duration_s, model, added_at, finished)
                VALUES (?, ?, 'file', ?, ?, ?, ?, ?, 1)
                """, arguments: [sha256, path, fileBytes, report.packets, report.durationSeconds, report.model.name, Date().timeIntervalSince1970])
            let id = db.lastInsertedRowID
            for stream in report.streams {
                for play in stream.plays ?? [] { try Self.insert(play, client: stream.client, capture: id, db) }
            }
            return true
        }
    }

    /// Opens a live capture's entry (plays are appended as they complete). `key` is unique per run.
    public func beginLive(key: String, path: String, model: String) throws -> Int64 {
        try write { db in
            try db.execute(sql: """
                INSERT INTO capture (sha256, path, source, model, added_at, finished) VALUES (?, ?, 'live', ?, ?, 0)
                """, arguments: [key, path, model, Date().timeIntervalSince1970])
            return db.lastInsertedRowID
        }
    }

    /// Appends one play of a live capture (a play already there, same client and start, is left alone).
    public func append(_ play: PlayReport, client: String, capture: Int64) throws {
        try write { db in try Self.insert(play, client: client, capture: capture, db) }
    }

    /// Removes a live capture's plays of one client (a stream the final report did not call audio).
    public func removePlays(capture: Int64, client: String) throws {
        try write { db in try db.execute(sql: "DELETE FROM play WHERE capture_id = ? AND client = ?", arguments: [capture, client]) }
    }

    /// Closes a live capture's entry with its final counts.
    public func finishLive(capture: Int64, report: CaptureReport) throws {
        try write { db in
            try db.execute(sql: "UPDATE capture SET packets = ?, duration_s = ?, finished = 1 WHERE id = ?",
                           arguments: [report.packets, report.durationSeconds, capture])
        }
    }

    static func insert(_ p: PlayReport, client: String, capture: Int64, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO play (capture_id, client, start_epoch, start_s, play_s, bytes, tier, skipped, complete, basis)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (capture_id, client, start_epoch) DO NOTHING
            """, arguments: [capture, client, p.startEpoch, p.startSeconds, p.playSeconds, p.bytes, p.tier,
                             p.skipped ? 1 : 0, p.complete ? 1 : 0, p.basis])
    }

    /// One `BEGIN IMMEDIATE` transaction: the write lock is taken at the start (waiting for another process's
    /// transaction up to the busy timeout), so a transaction never fails half-way on a lock.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try db.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    public func counts() throws -> (captures: Int, plays: Int) {
        try db.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM capture") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM play") ?? 0)
        }
    }
}

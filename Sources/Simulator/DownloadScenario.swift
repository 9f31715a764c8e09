import Wire

/// Draws log-uniformly between two positive bounds.
func logUniform(_ rng: inout SeededRandom, _ r: ClosedRange<Double>) -> Double {
    _exp(rng.uniform(_log(r.lowerBound)..._log(r.upperBound)))
}

/// HTTPS file downloads (all parameters A): one to four files per session from one host (or a new one per file),
/// sizes log-normal (median 40 MB, σ 1.5) within 2 MB–2 GB, each on its own TLS connection at link speed or at a
/// server-limited rate of 2–50 Mbit/s drawn per session, with pauses of 2–30 s between files. A response is planned
/// 4 MB at a time, so memory stays small whatever the file size; the session's end truncates the last file.
final class FileDownloadClient: Scenario, ReportsDraws {
    static let hosts = ["releases.example-mirror.org", "dl.example-files.net", "objects.example-storage.com", "download.example-apps.com"]
    static let chunk = 4 << 20

    let host: ClientHost
    var rng: SeededRandom
    var started = false
    var filesLeft = 0
    var rateCap: Double?
    var sameHost = true
    var hostName = ""
    var conn: TCPConnection?
    var remaining = 0
    /// Sizes of the files begun, in bytes, for the summary (tests read them back).
    var fileSizes: [Int] = []

    init(host: ClientHost, rng: SeededRandom) {
        self.host = host
        self.rng = rng
    }

    var drawn: [String: Double] {
        var d: [String: Double] = ["rate_cap": (rateCap ?? 0).rounded(), "files": Double(fileSizes.count)]
        for (i, s) in fileSizes.enumerated() { d["file\(i + 1)_bytes"] = Double(s) }
        return d
    }

    func wake(_ e: Engine, at t: Double) -> Double? {
        if !started {
            started = true
            filesLeft = rng.int(1...4)
            rateCap = rng.chance(0.6) ? logUniform(&rng, 2e6...50e6) : nil
            sameHost = rng.chance(0.7)
            hostName = FileDownloadClient.hosts[rng.int(0...(FileDownloadClient.hosts.count - 1))]
        }
        if let c = conn {
            // Continue the response: the next piece starts where the previous one left the bottleneck.
            let n = min(remaining, FileDownloadClient.chunk)
            remaining -= n
            let end = e.sendDown(c, firstArrival: t, bytes: n, overlay: nil, records: true, ackAtEnd: remaining == 0, rateCap: rateCap)
            if remaining > 0 { return end }
            e.close(c, at: end + rng.uniform(0.05...1), byClient: true)
            conn = nil
            return filesLeft > 0 ? end + rng.uniform(2...30) : nil
        }
        guard filesLeft > 0 else { return nil }
        filesLeft -= 1
        if !sameHost { hostName = FileDownloadClient.hosts[rng.int(0...(FileDownloadClient.hosts.count - 1))] }
        let size = Int(min(2e9, max(2e6, rng.logNormal(median: 40e6, sigma: 1.5))))
        fileSizes.append(size)
        let (d, a) = e.resolve(host, hostName, at: t)
        let c = e.openTCP(host, server: a, name: hostName, role: .download)
        let ready = e.connect(c, at: d)
        // GET 300–700 B; the first piece carries the response headers (300–600 B) and the start of the file.
        let first = min(size, FileDownloadClient.chunk)
        remaining = size - first
        let end = e.exchange(c, at: ready, request: rng.int(300...700), response: first + rng.int(300...600), rateCap: rateCap)
        conn = c
        if remaining > 0 { return end }
        // A single-piece file: done.
        conn = nil
        e.close(c, at: end + rng.uniform(0.05...1), byClient: true)
        return filesLeft > 0 ? end + rng.uniform(2...30) : nil
    }
}

/// A software update (all parameters A): a manifest fetch from the vendor's update host, then objects or ranges of
/// 1–20 MB (log-uniform) from one CDN host over 2–6 parallel TLS connections, 50–800 MB in all (log-uniform) or until
/// the session ends; 30 % of sessions are throttled to 5–40 Mbit/s in all, shared by the connections.
final class UpdateClient: Scenario, ReportsDraws {
    static let vendors: [(manifest: String, cdn: String)] = [
        ("update.example-os.org", "dl.update-cdn.example-os.org"),
        ("swupdate.example-vendor.com", "swcdn.example-vendor.com"),
        ("delivery.example-games.net", "cdn.delivery.example-games.net"),
    ]

    /// Bytes still to fetch, shared by the connections.
    final class Budget { var left = 0 }

    /// One of the parallel connections: requests the next object as soon as its previous one has arrived.
    final class Worker: Scenario {
        let conn: TCPConnection
        let budget: Budget
        let rateCap: Double?
        var rng: SeededRandom
        var ready: Double

        init(conn: TCPConnection, budget: Budget, rateCap: Double?, ready: Double, rng: SeededRandom) {
            self.conn = conn
            self.budget = budget
            self.rateCap = rateCap
            self.ready = ready
            self.rng = rng
        }

        func wake(_ e: Engine, at t: Double) -> Double? {
            guard budget.left > 0 else {
                e.close(conn, at: t + rng.uniform(0.5...5), byClient: true)
                return nil
            }
            let size = min(budget.left, Int(logUniform(&rng, 1e6...20e6)))
            budget.left -= size
            // Range request 350–800 B; response headers 300–600 B (A).
            let end = e.exchange(conn, at: max(t, ready), request: rng.int(350...800), response: size + rng.int(300...600), rateCap: rateCap)
            return end + rng.uniform(0.0005...0.02)
        }
    }

    let host: ClientHost
    var rng: SeededRandom
    var started = false
    var total = 0
    var connections = 0
    var rateCap: Double?

    init(host: ClientHost, rng: SeededRandom) {
        self.host = host
        self.rng = rng
    }

    var drawn: [String: Double] {
        ["total_bytes": Double(total), "connections": Double(connections), "rate_cap": (rateCap ?? 0).rounded()]
    }

    func wake(_ e: Engine, at t: Double) -> Double? {
        guard !started else { return nil }
        started = true
        let vendor = UpdateClient.vendors[rng.int(0...(UpdateClient.vendors.count - 1))]
        total = Int(logUniform(&rng, 50e6...800e6))
        connections = rng.int(2...6)
        let cap: Double? = rng.chance(0.3) ? logUniform(&rng, 5e6...40e6) / Double(connections) : nil
        rateCap = cap.map { $0 * Double(connections) }
        // The manifest: 400–900 B up, 2–60 KB down (A).
        let (md, ma) = e.resolve(host, vendor.manifest, at: t)
        let m = e.openTCP(host, server: ma, name: vendor.manifest, role: .download)
        var p = e.connect(m, at: md)
        p = e.exchange(m, at: p, request: rng.int(400...900), response: rng.int(2_000...60_000))
        e.close(m, at: p + rng.uniform(1...10), byClient: false)
        let (cd, ca) = e.resolve(host, vendor.cdn, at: p + rng.uniform(0.01...0.3))
        let budget = Budget()
        budget.left = total
        var start = cd
        for i in 0..<connections {
            let c = e.openTCP(host, server: ca, name: vendor.cdn, role: .download)
            let ready = e.connect(c, at: start)
            e.schedule(Worker(conn: c, budget: budget, rateCap: cap, ready: ready, rng: rng.derived(UInt64(100 + i))), at: ready)
            start += rng.uniform(0.001...0.05)
        }
        return nil
    }
}

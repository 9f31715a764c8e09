import Wire

/// Web browsing only (all parameters A): page loads separated by reading pauses of 5–60 s. A page is a document
/// (20–150 KB) from the site, then its images, scripts, styles and fonts, a few hundred kB to a few MB in all
/// (log-normal, median 1.5 MB, σ 0.8, 200 KB–8 MB), fetched over several connections to the site and to 2–6
/// third-party hosts (one HTTP/2 connection per host, or 2–6 HTTP/1.1 connections for 30 % of hosts).
final class BrowseClient: Scenario, ReportsDraws {
    static let sites = ["www.example-news.com", "en.example-wiki.org", "shop.example-store.com", "blog.example-tech.net",
                        "www.example-forum.org", "www.example-recipes.com", "docs.example-dev.io", "www.example-travel.com"]
    static let thirdParty = ["cdn.jsdelivr.net", "fonts.gstatic.com", "static.xx.fbcdn.net", "www.googletagmanager.com",
                             "images.example-cdn.net", "cdnjs.cloudflare.com", "ajax.googleapis.com", "pagead2.googlesyndication.com",
                             "i.ytimg.com", "assets.example-cdn.com", "stats.example-analytics.com", "consent.example-cmp.com"]

    let host: ClientHost
    var rng: SeededRandom
    var started = false
    /// Per page: bytes of its resources as drawn (the summary's tests compare them with the capture).
    var pageBytes: [Int] = []

    init(host: ClientHost, rng: SeededRandom) {
        self.host = host
        self.rng = rng
    }

    var drawn: [String: Double] {
        var d: [String: Double] = ["pages": Double(pageBytes.count)]
        for (i, b) in pageBytes.enumerated() { d["page\(i + 1)_bytes"] = Double(b) }
        return d
    }

    func wake(_ e: Engine, at t: Double) -> Double? {
        if !started { started = true; return t + rng.uniform(0...2) }
        let site = BrowseClient.sites[rng.int(0...(BrowseClient.sites.count - 1))]
        let weight = Int(min(8e6, max(200e3, rng.logNormal(median: 1.5e6, sigma: 0.8))))
        pageBytes.append(weight)
        // The document.
        let (d, a) = e.resolve(host, site, at: t)
        let doc = e.openTCP(host, server: a, name: site, role: .web)
        var p = e.connect(doc, at: d)
        let document = min(weight / 2, rng.int(20_000...150_000))
        p = e.exchange(doc, at: p, request: rng.int(400...900), response: document)
        // Its resources, split among the connections: about half from the site itself.
        var hosts = [site]
        var pool = BrowseClient.thirdParty
        for _ in 0..<rng.int(2...6) {
            let k = rng.int(0...(pool.count - 1))
            hosts.append(pool.remove(at: k))
        }
        var conns: [[TCPConnection]] = []
        var ends: [[Double]] = []
        for (i, name) in hosts.enumerated() {
            let parse = p + rng.uniform(0.005...0.15)
            if i == 0 {
                conns.append([doc])
                ends.append([parse])
                continue
            }
            let (hd, ha) = e.resolve(host, name, at: parse)
            let n = rng.chance(0.3) ? rng.int(2...6) : 1
            var cs: [TCPConnection] = [], es: [Double] = []
            for _ in 0..<n {
                let c = e.openTCP(host, server: ha, name: name, role: .web)
                cs.append(c)
                es.append(e.connect(c, at: hd + rng.uniform(0...0.003)))
            }
            conns.append(cs)
            ends.append(es)
        }
        var left = weight - document
        var objects = 0
        while left > 0 && objects < 200 {
            let size = min(left, Int(min(1.5e6, max(300, rng.logNormal(median: 25_000, sigma: 1.3)))))
            left -= size
            objects += 1
            let h = rng.chance(0.5) ? 0 : rng.int(1...(hosts.count - 1))
            // The connection of that host that is free first.
            var k = 0
            for j in ends[h].indices where ends[h][j] < ends[h][k] { k = j }
            ends[h][k] = e.exchange(conns[h][k], at: ends[h][k] + rng.uniform(0.0005...0.03), request: rng.int(300...900), response: size)
        }
        var last = p
        for (h, cs) in conns.enumerated() {
            for (k, c) in cs.enumerated() {
                last = max(last, ends[h][k])
                e.close(c, at: ends[h][k] + rng.uniform(5...15), byClient: rng.chance(0.5))
            }
        }
        // Reading the page.
        return last + rng.uniform(5...60)
    }
}

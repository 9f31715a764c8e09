import Foundation

/// One capture of a labelled corpus, as `manifest.csv` lists it.
public struct CorpusEntry: Sendable {
    /// Path relative to the corpus folder: `<label>/<profile>-<n>.pcap`.
    public var path: String
    public var label: String
    public var profile: String
    public var download: String
    public var link: String
    public var seed: UInt64
    public var duration: Double
    public var packets: Int
    public var phases: String
    /// The profile's coarse class: `audio`, `video`, `call`, `download`, `browsing`.
    public var category: String
    /// The background mixes joined with `+` (`web+dns`), empty for none.
    public var background: String
    /// Clients behind the link, each running the profile.
    public var clients: Int
    /// Spotify: the tracks whose download the first client started inside the capture (empty otherwise).
    public var fetches: String = ""

    public static let csvHeader = "path,label,profile,download,link,seed,duration,packets,phases,category,background,clients,fetches"
    public var csvRow: String {
        "\(path),\(label),\(profile),\(download),\(link),\(seed),\(fixed(duration)),\(packets),\(phases),\(category),\(background),\(clients),\(fetches)"
    }
}

/// Writes labelled corpora: one folder per class and a manifest.
public enum Corpus {
    /// The seed of capture `index` of profile number `profileIndex`: independent of the job count and order.
    public static func captureSeed(base: UInt64, profileIndex: Int, index: Int) -> UInt64 {
        var r = SeededRandom(seed: base ^ (UInt64(profileIndex) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(index) &* 0xC2B2_AE3D_27D4_EB4F))
        return r.next()
    }

    /// Generates `count` captures per profile under `directory` (created if needed), `jobs` at a time, and writes
    /// `manifest.csv`. The bytes do not depend on `jobs`. Returns the manifest rows in order.
    @discardableResult
    public static func generate(directory: String, profiles: [Profile], count: Int, duration: Double, seed: UInt64,
                                link: LinkProfile?, download: DownloadBehaviour?, background: [BackgroundMix],
                                options: SimulationOptions = SimulationOptions(), jobs: Int = 1) throws -> [CorpusEntry] {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw PcapWriterError(path: directory, message: "cannot create folder (\(error.localizedDescription))")
        }
        var work: [(Int, Int, Profile)] = []
        for (p, profile) in profiles.enumerated() {
            do {
                try fm.createDirectory(atPath: directory + "/" + profile.label, withIntermediateDirectories: true)
            } catch {
                throw PcapWriterError(path: directory + "/" + profile.label, message: "cannot create folder (\(error.localizedDescription))")
            }
            for i in 0..<count { work.append((p, i, profile)) }
        }
        let items = work
        let results = ResultBox(count: items.count)
        let run: @Sendable (Int) -> Void = { k in
            let (p, i, profile) = items[k]
            let s = captureSeed(base: seed, profileIndex: p, index: i)
            let name = profile.description.replacingOccurrences(of: ":", with: "-").replacingOccurrences(of: "+", with: "-")
            let rel = "\(profile.label)/\(name)-\(String(format: "%04d", i)).pcap"
            let session = Session(profile: profile, link: link, download: download, background: background, duration: duration, seed: s, options: options)
            do {
                let summary = try session.write(to: directory + "/" + rel)
                let isSpotify: Bool = { if case .spotify = profile { return true } else { return false } }()
                results.set(k, .success(CorpusEntry(path: rel, label: profile.label, profile: profile.description,
                                                    download: isSpotify ? summary.download.rawValue : "", link: summary.link, seed: s,
                                                    duration: duration, packets: summary.packets, phases: summary.phaseText,
                                                    category: profile.category.rawValue,
                                                    background: background.map(\.rawValue).joined(separator: "+"),
                                                    clients: session.options.clients,
                                                    fetches: isSpotify ? String(summary.tracks.filter { $0.clientIndex == 0 && $0.downloadStart < duration }.count) : "")))
            } catch {
                results.set(k, .failure(error))
            }
        }
        let work2 = items
        if jobs <= 1 {
            for k in 0..<work2.count { run(k) }
        } else {
            let next = Counter()
            let group = DispatchGroup()
            for _ in 0..<min(jobs, work2.count) {
                DispatchQueue.global().async(group: group) {
                    while true {
                        let k = next.take()
                        if k >= work2.count { break }
                        run(k)
                    }
                }
            }
            group.wait()
        }
        var entries: [CorpusEntry] = []
        for r in results.values {
            switch r {
            case .success(let e): entries.append(e)
            case .failure(let e): throw e
            case nil: break
            }
        }
        let manifest = ([CorpusEntry.csvHeader] + entries.map(\.csvRow)).joined(separator: "\n") + "\n"
        do {
            try manifest.write(toFile: directory + "/manifest.csv", atomically: true, encoding: .utf8)
        } catch {
            throw PcapWriterError(path: directory + "/manifest.csv", message: "cannot write (\(error.localizedDescription))")
        }
        return entries
    }
}

private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Result<CorpusEntry, Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<CorpusEntry, Error>) { lock.lock(); values[i] = r; lock.unlock() }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take() -> Int { lock.lock(); defer { lock.unlock() }; let v = value; value += 1; return v }
}
